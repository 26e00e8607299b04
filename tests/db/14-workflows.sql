-- Business workflows the database enforces for API callers: the onboarding
-- status machine and its history, the support access grant workflow
-- (request -> approve/deny -> revoke, time-boxed), internal ticket notes,
-- invitations that can only be revoked, and accepting an invitation.
begin;
select plan(39);
\ir _support/tenancy-fixtures.psql

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
