-- Role-change rules enforced by the database (trigger memberships_enforce_role_rules
-- and invitations_enforce_role_rules), each with a passing and a refused case:
--  1. nobody grants (adds, promotes, invites) a role above their own, and nobody
--     changes or removes a member ranked above them;
--  2. the last owner of a tenant cannot be removed or demoted (by anyone);
--  3. a platform role cannot be granted through a tenant membership.
begin;
select plan(28);
\ir _support/tenancy-fixtures.psql

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
