-- One pending support access request per agent and tenant
-- (20261126003400_one_pending_support_grant.sql): a second pending request is
-- refused by the database whoever inserts it; a new one is allowed once the
-- earlier request was denied, withdrawn or has expired, and another tenant or
-- another agent is never blocked. now() is fixed for the whole transaction, so
-- every request made here starts at the same instant.
begin;
select plan(12);
\ir _support/tenancy-fixtures.psql

select ok(exists(select 1 from pg_constraint where conname = 'support_access_grants_one_pending_per_agent'
                 and conrelid = 'public.support_access_grants'::regclass and contype = 'x'),
  'support_access_grants has the one-pending-request exclusion constraint');

-- The fixtures give support_none a pending request for tenant B, valid for a day.
select tests.act_as('support_none');
select throws_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: asked twice', now() + interval '2 hours')$$,
  '23P01', 'conflicting key value violates exclusion constraint "support_access_grants_one_pending_per_agent"',
  'a second pending request for the same tenant is refused');
select tests.act_as_superuser();
select throws_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, requested_at, expires_at)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: trusted path', now() - interval '3 days', now() + interval '1 hour')$$,
  '23P01', null, 'the trusted path (service role, migrations) is refused too');

-- Tenant A: request, deny, request again, withdraw, request again.
select tests.act_as('support_none');
select lives_ok($$insert into public.support_access_grants (id, tenant_id, support_user_id, reason, expires_at)
  values ('70000000-0000-0000-0000-0000000000e1', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: payroll', now() + interval '2 hours')$$,
  'a pending request for one tenant does not block another tenant');
select throws_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: payroll again', now() + interval '1 hour')$$,
  '23P01', null, 'a shorter second request is refused as well');
select tests.act_as('admin_a');
select lives_ok($$update public.support_access_grants set status = 'denied' where id = '70000000-0000-0000-0000-0000000000e1'$$,
  'the tenant admin denies the request');
select tests.act_as('support_none');
select lives_ok($$insert into public.support_access_grants (id, tenant_id, support_user_id, reason, expires_at)
  values ('70000000-0000-0000-0000-0000000000e2', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: payroll, more detail', now() + interval '2 hours')$$,
  'after a denial the agent may ask again');
select lives_ok($$select * from private.revoke_my_support_grant('70000000-0000-0000-0000-0000000000e2')$$,
  'the agent withdraws the new request');
select lives_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c001', 'Ticket: payroll, third try', now() + interval '2 hours')$$,
  'after withdrawing, the agent may ask again');

-- Expiry: a request nobody decided that ran out yesterday blocks nothing.
select tests.act_as_superuser();
insert into public.support_access_grants (tenant_id, support_user_id, reason, requested_at, expires_at)
values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c003', 'Ticket: never decided',
        now() - interval '3 days', now() - interval '1 day');
select tests.act_as('support_expired');
select lives_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c003', 'Ticket: asking again', now() + interval '2 hours')$$,
  'after an undecided request expired the agent may ask again');
select lives_ok($$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
  values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c003', 'Ticket: another agent', now() + interval '2 hours')$$,
  'another agent''s pending request for the same tenant does not block this one');

select tests.act_as_superuser();
select results_eq(
  $$select support_user_id::text, tenant_id::text, count(*)::int from public.support_access_grants
    where status = 'requested' and revoked_at is null and expires_at > now()
    group by 1, 2 order by 1, 2$$,
  $$values ('00000000-0000-0000-0000-00000000c001', 'aaaaaaaa-0000-0000-0000-000000000000', 1),
           ('00000000-0000-0000-0000-00000000c001', 'bbbbbbbb-0000-0000-0000-000000000000', 1),
           ('00000000-0000-0000-0000-00000000c003', 'aaaaaaaa-0000-0000-0000-000000000000', 1),
           ('00000000-0000-0000-0000-00000000c003', 'bbbbbbbb-0000-0000-0000-000000000000', 1)$$,
  'at most one pending request per agent and tenant');

select * from finish();
rollback;
