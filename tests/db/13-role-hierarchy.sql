-- Role-change rules enforced by the database (trigger memberships_enforce_role_rules
-- and invitations_enforce_role_rules), each with a passing and a refused case:
--  1. nobody grants (adds, promotes, invites) a role above their own, and nobody
--     changes or removes a member ranked above them;
--  2. the last owner of a tenant cannot be removed or demoted (by anyone);
--  3. a platform role cannot be granted through a tenant membership.
begin;
select plan(28);

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

-- 1. Nobody grants a role above their own -----------------------------------
select tests.act_as('admin_a');
select lives_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d001', 'admin')$$,
  'an admin can add a member with their own role (admin)');
select throws_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d002', 'owner')$$,
  '42501', 'you cannot grant a role above your own', 'an admin cannot add an owner');
select lives_ok($$update public.memberships set role = 'hr_manager' where id = '10000000-0000-0000-0000-00000000a004'$$,
  'an admin can promote an employee to hr_manager');
select throws_ok($$update public.memberships set role = 'owner' where id = '10000000-0000-0000-0000-00000000a004'$$,
  '42501', 'you cannot grant a role above your own', 'an admin cannot promote anyone to owner');
select throws_ok($$update public.memberships set role = 'employee' where id = '10000000-0000-0000-0000-00000000a001'$$,
  '42501', 'you cannot change the role of a member above you', 'an admin cannot demote an owner');
select throws_ok($$delete from public.memberships where id = '10000000-0000-0000-0000-00000000a001'$$,
  '42501', 'you cannot remove a member above your own role', 'an admin cannot remove an owner');
select lives_ok($$delete from public.memberships where id = '10000000-0000-0000-0000-00000000a004'$$,
  'an admin can remove an hr_manager (the member just promoted)');
select tests.act_as('hr_a');
select throws_ok($$insert into public.invitations (tenant_id, email, role, token_hash, expires_at) values
  ('aaaaaaaa-0000-0000-0000-000000000000', 'boss@a.test', 'admin', sha256('t1'), now() + interval '1 day')$$,
  '42501', 'you cannot invite someone to a role above your own', 'an hr_manager cannot invite an admin');
select lives_ok($$insert into public.invitations (tenant_id, email, role, token_hash, expires_at) values
  ('aaaaaaaa-0000-0000-0000-000000000000', 'worker@a.test', 'employee', sha256('t2'), now() + interval '1 day')$$,
  'an hr_manager can invite an employee');
select tests.act_as('owner_a');
select lives_ok($$update public.memberships set role = 'employee' where id = '10000000-0000-0000-0000-00000000a002'$$,
  'an owner can demote an admin');
select tests.act_as_superuser();
select is((select role from public.memberships where id = '10000000-0000-0000-0000-00000000a002'), 'employee',
  'the demotion was stored');

-- 2. The last owner of a tenant cannot be removed or demoted ------------------
select tests.act_as('owner_b');
select throws_ok($$delete from public.memberships where id = '10000000-0000-0000-0000-00000000b001'$$,
  'P0001', 'a tenant must keep at least one owner', 'the last owner cannot leave');
select throws_ok($$update public.memberships set role = 'admin' where id = '10000000-0000-0000-0000-00000000b001'$$,
  'P0001', 'a tenant must keep at least one owner', 'the last owner cannot demote themselves');
select lives_ok($$update public.memberships set role = 'owner' where id = '10000000-0000-0000-0000-00000000b002'$$,
  'an owner can make an admin a second owner');
select lives_ok($$update public.memberships set role = 'admin' where id = '10000000-0000-0000-0000-00000000b001'$$,
  'with a second owner, the first can step down');
select tests.act_as('service_role');
select throws_ok($$delete from public.memberships where id = '10000000-0000-0000-0000-00000000b002'$$,
  'P0001', 'a tenant must keep at least one owner', 'even the service role cannot remove the last owner');
select lives_ok($$delete from public.tenants where id = 'bbbbbbbb-0000-0000-0000-000000000000'$$,
  'deleting a whole tenant (cascading its memberships) is not blocked by the last-owner rule');
select tests.act_as_superuser();
select is((select count(*)::int from public.memberships where tenant_id = 'bbbbbbbb-0000-0000-0000-000000000000'), 0,
  'the tenant''s memberships went with it');

-- 3. A platform role cannot be granted through tenant membership --------------
select tests.act_as('owner_a');
select throws_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d002', 'platform_admin')$$,
  '42501', 'role platform_admin cannot be granted through a tenant membership', 'an owner cannot grant platform_admin as a membership');
select lives_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d002', 'owner')$$,
  'an owner can grant a tenant role up to owner');
select tests.act_as('platform_admin');
select throws_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d001', 'platform_support')$$,
  '42501', 'role platform_support cannot be granted through a tenant membership', 'a platform admin cannot put a platform role in a membership');
select throws_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c004', 'owner')$$,
  '42501', 'a platform admin can only add the first owner of a tenant', 'a platform admin cannot join a working tenant');
select lives_ok($$insert into public.tenants (id, name, slug) values ('cccccccc-0000-0000-0000-000000000000', 'Tenant C', 'tenant-c')$$,
  'a platform admin creates a tenant');
select lives_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('cccccccc-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c005', 'owner')$$,
  'a platform admin bootstraps the first owner of an owner-less tenant');
select throws_ok($$insert into public.memberships (tenant_id, user_id, role) values
  ('cccccccc-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d002', 'owner')$$,
  '42501', 'a platform admin can only add the first owner of a tenant', 'but not a second member once it has an owner');
select lives_ok($$insert into public.platform_staff (user_id, role) values ('00000000-0000-0000-0000-00000000c005', 'platform_admin')
  on conflict (user_id) do update set role = excluded.role$$,
  'a platform admin grants platform roles through platform_staff');
select tests.act_as('service_role');
select throws_ok($$update public.memberships set role = 'platform_admin' where id = '10000000-0000-0000-0000-00000000a002'$$,
  '42501', 'role platform_admin cannot be granted through a tenant membership', 'not even the service role can put a platform role in a membership');
select throws_ok($$insert into public.platform_staff (user_id, role) values ('00000000-0000-0000-0000-00000000d001', 'owner')$$,
  '23503', null, 'a tenant role cannot be a platform staff role');
select tests.act_as_superuser();

select * from finish();
rollback;
