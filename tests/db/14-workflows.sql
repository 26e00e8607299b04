-- Business workflows the database enforces for API callers: the onboarding
-- status machine and its history, the support access grant workflow
-- (request -> approve/deny -> revoke, time-boxed), internal ticket notes,
-- invitations that can only be revoked, and accepting an invitation.
begin;
select plan(39);

-- Test helpers: act as a user the way production does. Claims are built the way
-- Supabase Auth builds them and passed through our own custom_access_token_hook
-- (called as supabase_auth_admin, like GoTrue); then `set local role` and
-- request.jwt.claims, like PostgREST.
create schema tests;

create table tests.actors (name text primary key, user_id uuid, db_role text not null);

create function tests.claims_for(p_user uuid) returns jsonb
language plpgsql as $$
declare
  v_now bigint := extract(epoch from now())::bigint;
  v_event jsonb;
  v_out jsonb;
begin
  v_event := jsonb_build_object(
    'user_id', p_user,
    'authentication_method', 'password',
    'claims', jsonb_build_object(
      'iss', 'http://127.0.0.1:54321/auth/v1', 'sub', p_user, 'aud', 'authenticated',
      'exp', v_now + 3600, 'iat', v_now,
      'email', (select u.email from auth.users u where u.id = p_user), 'phone', '',
      'role', 'authenticated', 'aal', 'aal1',
      'amr', jsonb_build_array(jsonb_build_object('method', 'password', 'timestamp', v_now)),
      'session_id', gen_random_uuid(), 'is_anonymous', false,
      'app_metadata', jsonb_build_object('provider', 'email', 'providers', jsonb_build_array('email')),
      'user_metadata', '{}'::jsonb));
  execute 'set local role supabase_auth_admin';
  v_out := public.custom_access_token_hook(v_event);
  execute 'reset role';
  return v_out -> 'claims';
end;
$$;

-- Switches the session to the actor for the rest of the transaction (or until
-- tests.act_as_superuser()).
create function tests.act_as(p_actor text) returns void
language plpgsql as $$
declare
  a tests.actors;
  v_now bigint := extract(epoch from now())::bigint;
begin
  execute 'reset role';
  select * into strict a from tests.actors where name = p_actor;
  if a.db_role = 'authenticated' then
    perform set_config('request.jwt.claims', tests.claims_for(a.user_id)::text, true);
  else
    perform set_config('request.jwt.claims', jsonb_build_object(
      'iss', 'supabase-demo', 'role', a.db_role, 'iat', v_now, 'exp', v_now + 3600)::text, true);
  end if;
  execute format('set local role %I', a.db_role);
end;
$$;

create function tests.act_as_superuser() returns void
language plpgsql as $$
begin
  execute 'reset role';
  perform set_config('request.jwt.claims', '', true);
end;
$$;
grant usage on schema tests to anon, authenticated, service_role;
grant execute on function tests.act_as(text), tests.act_as_superuser() to anon, authenticated, service_role;

-- Fixtures: two tenants with one member per tenant role, platform staff, and
-- one row of every tenant-owned table per tenant. Fixed ids keep the matrix
-- readable. Inserted as the superuser (a trusted path).
insert into tests.actors (name, user_id, db_role) values
  ('anon', null, 'anon'),
  ('owner_a', '00000000-0000-0000-0000-00000000a001', 'authenticated'),
  ('admin_a', '00000000-0000-0000-0000-00000000a002', 'authenticated'),
  ('hr_a', '00000000-0000-0000-0000-00000000a003', 'authenticated'),
  ('employee_a', '00000000-0000-0000-0000-00000000a004', 'authenticated'),
  ('owner_b', '00000000-0000-0000-0000-00000000b001', 'authenticated'),
  ('admin_b', '00000000-0000-0000-0000-00000000b002', 'authenticated'),
  ('hr_b', '00000000-0000-0000-0000-00000000b003', 'authenticated'),
  ('employee_b', '00000000-0000-0000-0000-00000000b004', 'authenticated'),
  ('support_none', '00000000-0000-0000-0000-00000000c001', 'authenticated'),
  ('support_active', '00000000-0000-0000-0000-00000000c002', 'authenticated'),
  ('support_expired', '00000000-0000-0000-0000-00000000c003', 'authenticated'),
  ('platform_admin', '00000000-0000-0000-0000-00000000c004', 'authenticated'),
  ('service_role', null, 'service_role');

insert into auth.users (id, email, aud, role)
select user_id, name || '@kazi-tests.test', 'authenticated', 'authenticated' from tests.actors where user_id is not null
union all values
  ('00000000-0000-0000-0000-00000000c005'::uuid, 'staff_spare@kazi-tests.test', 'authenticated', 'authenticated'),
  ('00000000-0000-0000-0000-00000000d001'::uuid, 'spare@kazi-tests.test', 'authenticated', 'authenticated'),
  ('00000000-0000-0000-0000-00000000d002'::uuid, 'spare2@kazi-tests.test', 'authenticated', 'authenticated');
delete from public.profiles where id = '00000000-0000-0000-0000-00000000d002';

insert into public.tenants (id, name, slug) values
  ('aaaaaaaa-0000-0000-0000-000000000000', 'Tenant A', 'tenant-a'),
  ('bbbbbbbb-0000-0000-0000-000000000000', 'Tenant B', 'tenant-b');

insert into public.memberships (id, tenant_id, user_id, role)
select ('10000000-0000-0000-0000-' || right(a.user_id::text, 12))::uuid,
       case when a.name like '%\_a' then 'aaaaaaaa-0000-0000-0000-000000000000'::uuid
            else 'bbbbbbbb-0000-0000-0000-000000000000'::uuid end,
       a.user_id,
       case split_part(a.name, '_', 1) when 'hr' then 'hr_manager' else split_part(a.name, '_', 1) end
from tests.actors a where a.name ~ '^(owner|admin|hr|employee)_[ab]$';

insert into public.platform_staff (user_id, role) values
  ('00000000-0000-0000-0000-00000000c001', 'platform_support'),
  ('00000000-0000-0000-0000-00000000c002', 'platform_support'),
  ('00000000-0000-0000-0000-00000000c003', 'platform_support'),
  ('00000000-0000-0000-0000-00000000c004', 'platform_admin'),
  ('00000000-0000-0000-0000-00000000c005', 'platform_support');

insert into public.roles (name, scope, rank) values ('test_role', 'tenant', 5);
insert into public.permissions (name) values ('test.perm');
insert into public.role_permissions (role, permission) values ('test_role', 'test.perm');

insert into public.support_access_grants (id, tenant_id, support_user_id, reason, status, requested_at, decided_by, decided_at, expires_at) values
  ('70000000-0000-0000-0000-000000000001', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c002',
   'Ticket: payroll export', 'approved', now() - interval '1 hour', '00000000-0000-0000-0000-00000000a001', now() - interval '50 minutes', now() + interval '1 day'),
  ('70000000-0000-0000-0000-000000000002', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c003',
   'Ticket: old question', 'approved', now() - interval '3 days', '00000000-0000-0000-0000-00000000a001', now() - interval '3 days', now() - interval '1 day'),
  ('70000000-0000-0000-0000-000000000003', 'bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001',
   'Ticket: leave balances', 'requested', now() - interval '1 hour', null, null, now() + interval '1 day');

insert into public.employees (id, tenant_id, user_id, employee_number, first_name, last_name) values
  ('20000000-0000-0000-0000-0000000000a1', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000a004', 'A-001', 'Amina', 'Achieng'),
  ('20000000-0000-0000-0000-0000000000a2', 'aaaaaaaa-0000-0000-0000-000000000000', null, 'A-002', 'Brian', 'Kiptoo'),
  ('20000000-0000-0000-0000-0000000000b1', 'bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000b004', 'B-001', 'Chebet', 'Mwangi'),
  ('20000000-0000-0000-0000-0000000000b2', 'bbbbbbbb-0000-0000-0000-000000000000', null, 'B-002', 'David', 'Omondi');

insert into public.invitations (id, tenant_id, email, role, token_hash, expires_at) values
  ('30000000-0000-0000-0000-0000000000a1', 'aaaaaaaa-0000-0000-0000-000000000000', 'new.hire@a.test', 'employee', sha256('token-a'), now() + interval '7 days'),
  ('30000000-0000-0000-0000-0000000000b1', 'bbbbbbbb-0000-0000-0000-000000000000', 'new.hire@b.test', 'employee', sha256('token-b'), now() + interval '7 days');

insert into public.onboarding_cases (id, tenant_id, subject_user_id, first_name, last_name) values
  ('40000000-0000-0000-0000-0000000000a1', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000a004', 'Amina', 'Achieng'),
  ('40000000-0000-0000-0000-0000000000b1', 'bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000b004', 'Chebet', 'Mwangi');

insert into public.support_tickets (id, tenant_id, opened_by, subject) values
  ('50000000-0000-0000-0000-0000000000a1', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000a002', 'Payroll export fails'),
  ('50000000-0000-0000-0000-0000000000b1', 'bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000b002', 'Leave balances wrong');

insert into public.support_ticket_messages (id, tenant_id, ticket_id, author_id, body, is_internal) values
  ('60000000-0000-0000-0000-0000000000a1', 'aaaaaaaa-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000a002', 'It fails since Monday', false),
  ('60000000-0000-0000-0000-0000000000a2', 'aaaaaaaa-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000c002', 'Internal: known bug', true),
  ('60000000-0000-0000-0000-0000000000b1', 'bbbbbbbb-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000b002', 'Balances off by one', false),
  ('60000000-0000-0000-0000-0000000000b2', 'bbbbbbbb-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-00000000c001', 'Internal: ask for access', true);

-- Onboarding: draft -> submitted -> approved | rejected ------------------------
select tests.act_as('employee_a');
select lives_ok($$update public.onboarding_cases set job_title = 'Clerk' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  'the new hire can edit their own draft');
select throws_ok($$update public.onboarding_cases set deleted_at = now() where id = '40000000-0000-0000-0000-0000000000a1'$$,
  '42501', null, 'the new hire cannot delete their case');
select throws_ok($$update public.onboarding_cases set employee_id = '20000000-0000-0000-0000-0000000000a2' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  '42501', 'only onboarding staff can link an employee or record a decision', 'the new hire cannot link their case to an employee record');
select lives_ok($$update public.onboarding_cases set status = 'submitted' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  'the new hire can submit their own draft');
select is((select count(*)::int from public.onboarding_cases where id = '40000000-0000-0000-0000-0000000000a1'
           and status = 'submitted' and submitted_at is not null), 1, 'the case is submitted and stamped');
select is_empty($$update public.onboarding_cases set job_title = 'Manager' where id = '40000000-0000-0000-0000-0000000000a1' returning 1$$,
  'a submitted case is closed to the new hire');
select tests.act_as('employee_b');
select lives_ok($$insert into public.onboarding_cases (tenant_id, subject_user_id, first_name)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000b004', 'Chebet')$$,
  'a member can open their own onboarding draft');
select throws_ok($$insert into public.onboarding_cases (tenant_id, subject_user_id, first_name, status)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000b004', 'Chebet', 'approved')$$,
  'P0001', 'an onboarding case starts as a draft', 'nobody opens a case as already approved');
select tests.act_as('hr_a');
select throws_ok($$update public.onboarding_cases set job_title = 'Boss' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  'P0001', 'only a draft onboarding case can be edited', 'even HR cannot edit a submitted case');
select throws_ok($$update public.onboarding_cases set status = 'rejected' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  '23514', null, 'a rejection needs a reason');
select lives_ok($$update public.onboarding_cases set status = 'approved' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  'a reviewer can approve a submitted case');
select throws_ok($$update public.onboarding_cases set status = 'draft' where id = '40000000-0000-0000-0000-0000000000a1'$$,
  'P0001', 'an onboarding case cannot go from approved to draft', 'an approved case is final');
select results_eq(
  $$select from_status, to_status, changed_by::text from public.onboarding_case_status_history
    where case_id = '40000000-0000-0000-0000-0000000000a1' order by created_at$$,
  $$values (null::text, 'draft', null::text), ('draft', 'submitted', '00000000-0000-0000-0000-00000000a004'),
           ('submitted', 'approved', '00000000-0000-0000-0000-00000000a003')$$,
  'each status change is in the history, with who made it');
select throws_ok($$insert into public.onboarding_case_status_history (tenant_id, case_id, to_status)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '40000000-0000-0000-0000-0000000000a1', 'rejected')$$,
  '42501', null, 'nobody writes history directly');
select tests.act_as_superuser();

-- Support access grants ----------------------------------------------------------
select tests.act_as('support_none');
select lives_ok($$insert into public.support_access_grants (id, tenant_id, support_user_id, reason, status, expires_at)
  values ('70000000-0000-0000-0000-0000000000f1', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001',
          'Ticket: payroll export', 'approved', now() + interval '2 days')$$,
  'a support user can request access');
select is((select status from public.support_access_grants where id = '70000000-0000-0000-0000-0000000000f1'), 'requested',
  'a request is always stored as requested, whatever the caller sent');
select throws_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: long', now() + interval '90 days')$$,
  'P0001', 'support access must expire within 30 days', 'access is time-boxed');
select throws_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c002', 'Ticket: for a colleague', now() + interval '1 day')$$,
  '42501', null, 'a support user cannot request access for someone else');
select is((select count(*)::int from public.employees), 0, 'a requested (unapproved) grant opens nothing');
select is_empty($$update public.support_access_grants set status = 'approved' where id = '70000000-0000-0000-0000-0000000000f1' returning 1$$,
  'a support user cannot approve their own request');
select tests.act_as('hr_a');
select is_empty($$update public.support_access_grants set status = 'approved' where id = '70000000-0000-0000-0000-0000000000f1' returning 1$$,
  'an hr_manager cannot approve support access');
select tests.act_as('admin_a');
select lives_ok($$update public.support_access_grants set status = 'approved' where id = '70000000-0000-0000-0000-0000000000f1'$$,
  'a tenant admin approves the request');
select throws_ok($$update public.support_access_grants set expires_at = expires_at + interval '10 days' where id = '70000000-0000-0000-0000-0000000000f1'$$,
  'P0001', 'a support access grant cannot be extended', 'an approved grant cannot be extended');
select tests.act_as('support_none');
select is((select count(*)::int from public.employees), 2, 'with the approved grant, support sees tenant A''s employees');
select is((select count(*)::int from public.employees where tenant_id = 'bbbbbbbb-0000-0000-0000-000000000000'), 0,
  'and still nothing of tenant B');
select throws_ok($$insert into public.employees (tenant_id, employee_number, first_name, last_name)
  values ('aaaaaaaa-0000-0000-0000-000000000000', 'A-777', 'Support', 'Wrote')$$,
  '42501', null, 'support access is read-only for employees');
select tests.act_as('admin_a');
select lives_ok($$update public.support_access_grants set revoked_at = now() where id = '70000000-0000-0000-0000-0000000000f1'$$,
  'a tenant admin revokes the grant');
select throws_ok($$update public.support_access_grants set revoked_at = null where id = '70000000-0000-0000-0000-0000000000f1'$$,
  'P0001', 'a revoked support access grant stays revoked', 'a revocation cannot be undone');
select tests.act_as('support_none');
select is((select count(*)::int from public.employees), 0, 'after revocation support sees nothing');
select tests.act_as_superuser();

-- Internal notes on tickets -------------------------------------------------------
select tests.act_as('admin_a');
select throws_ok($$insert into public.support_ticket_messages (tenant_id, ticket_id, body, is_internal)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000a1', 'psst', true)$$,
  '42501', null, 'a tenant user cannot write an internal note');
select tests.act_as('support_active');
select lives_ok($$insert into public.support_ticket_messages (id, tenant_id, ticket_id, body, is_internal, author_id)
  values ('60000000-0000-0000-0000-0000000000f1', 'aaaaaaaa-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000a1',
          'Internal: escalate', true, '00000000-0000-0000-0000-00000000a001')$$,
  'granted support staff write internal notes');
select tests.act_as_superuser();
select is((select author_id::text from public.support_ticket_messages where id = '60000000-0000-0000-0000-0000000000f1'),
  '00000000-0000-0000-0000-00000000c002', 'the author is the caller, not what the caller claimed');

-- Invitations: revoke only -------------------------------------------------------
select tests.act_as('admin_a');
select throws_ok($$update public.invitations set role = 'admin' where id = '30000000-0000-0000-0000-0000000000a1'$$,
  '42501', 'an invitation can only be revoked', 'an invitation cannot be re-targeted');
select lives_ok($$update public.invitations set revoked_at = now() where id = '30000000-0000-0000-0000-0000000000a1'$$,
  'an invitation can be revoked');
select tests.act_as_superuser();

-- Accepting an invitation (private.accept_invitation) ------------------------------
insert into public.invitations (tenant_id, email, role, token_hash, expires_at) values
  ('aaaaaaaa-0000-0000-0000-000000000000', 'spare@kazi-tests.test', 'hr_manager', sha256('tok-spare'), now() + interval '1 day'),
  ('aaaaaaaa-0000-0000-0000-000000000000', 'spare@kazi-tests.test', 'employee', sha256('tok-old'), now() + interval '1 day');
update public.invitations set expires_at = now() - interval '1 minute', created_at = now() - interval '2 days'
where token_hash = sha256('tok-old');
select tests.act_as('employee_b');
select throws_ok($$select private.accept_invitation('tok-spare')$$,
  'P0001', 'the invitation is invalid, expired or already used', 'an invitation addressed to someone else cannot be used');
select tests.act_as_superuser();
create function pg_temp.act_as_spare() returns void language plpgsql as $$
begin
  insert into tests.actors values ('spare', '00000000-0000-0000-0000-00000000d001', 'authenticated') on conflict do nothing;
  perform tests.act_as('spare');
end $$;
select pg_temp.act_as_spare();
select throws_ok($$select private.accept_invitation('tok-old')$$,
  'P0001', 'the invitation is invalid, expired or already used', 'an expired invitation cannot be used');
select is(private.accept_invitation('tok-spare'), 'aaaaaaaa-0000-0000-0000-000000000000'::uuid,
  'the invitee accepts with the token');
select throws_ok($$select private.accept_invitation('tok-spare')$$,
  'P0001', 'the invitation is invalid, expired or already used', 'an invitation is single use');
select tests.act_as_superuser();
select is((select role from public.memberships where tenant_id = 'aaaaaaaa-0000-0000-0000-000000000000'
           and user_id = '00000000-0000-0000-0000-00000000d001'), 'hr_manager', 'the membership has the offered role');

select * from finish();
rollback;
