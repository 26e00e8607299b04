-- private.tenant_access (20261127000100) holds exactly what the live rows say,
-- after every kind of change it derives from: memberships added, re-roled and
-- removed; a tenant soft-deleted and restored; support grants approved,
-- revoked and expired; support staff moved to another platform role; a role
-- gaining and losing a permission. The reference is the original definition
-- of the read helpers (20261126000400), computed here from the live tables.
-- Also: each user reads only their own access rows and nobody writes them,
-- through the table or through private.my_tenant_access, the view the
-- employees policy probes (20261127001000);
-- a rebuild changes nothing; employees read their own record through
-- public.my_employee_records().
begin;
select plan(33);
\ir _support/tenancy-fixtures.psql

create function tests.access_reference() returns table (user_id uuid, permission text, tenant_id uuid, expires_at timestamptz)
language sql stable as $$
  select distinct m.user_id, rp.permission, m.tenant_id, null::timestamptz
  from public.memberships m
  join public.role_permissions rp on rp.role = m.role
  join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
  union all
  select g.support_user_id, '*', g.tenant_id, max(g.expires_at)
  from public.support_access_grants g
  join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
  join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
  where g.status = 'approved' and g.revoked_at is null and g.expires_at > now()
  group by g.support_user_id, g.tenant_id
$$;

-- Rows a reader can still use (an expired grant's row stays until the next
-- refresh of its holder; every reader checks expires_at).
create view tests.access_now as
  select a.user_id, a.permission, a.tenant_id, a.expires_at from private.tenant_access a
  where a.expires_at is null or a.expires_at > now();

create function tests.access_matches(p_description text) returns text
language sql as $$
  select set_eq('select * from tests.access_now', 'select * from tests.access_reference()', p_description)
$$;

select ok((select count(*) from tests.access_now) > 20, 'the fixtures give tenant access rows to check');
select tests.access_matches('after the fixtures: members and the active grant, not the expired one');

insert into public.memberships (id, tenant_id, user_id, role)
values ('10000000-0000-0000-0000-0000000d0001', 'aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d001', 'employee');
select tests.access_matches('a membership added');
update public.memberships set role = 'hr_manager' where id = '10000000-0000-0000-0000-0000000d0001';
select tests.access_matches('a member given another role');
select ok(exists (select from private.tenant_access where user_id = '00000000-0000-0000-0000-00000000d001' and permission = 'employees.read'),
  'the new role''s permissions are there');
delete from public.memberships where id = '10000000-0000-0000-0000-0000000d0001';
select tests.access_matches('a membership removed');
select ok(not exists (select from private.tenant_access where user_id = '00000000-0000-0000-0000-00000000d001'),
  'a removed member keeps no access row');

update public.tenants set deleted_at = now() where id = 'bbbbbbbb-0000-0000-0000-000000000000';
select tests.access_matches('a tenant soft-deleted');
select ok(not exists (select from private.tenant_access where tenant_id = 'bbbbbbbb-0000-0000-0000-000000000000'),
  'nobody reaches a soft-deleted tenant');
update public.tenants set deleted_at = null where id = 'bbbbbbbb-0000-0000-0000-000000000000';
select tests.access_matches('a tenant restored');

update public.support_access_grants set status = 'approved', decided_by = '00000000-0000-0000-0000-00000000b001', decided_at = now()
where id = '70000000-0000-0000-0000-000000000003';
select tests.access_matches('a support grant approved');
select ok(exists (select from private.tenant_access where user_id = '00000000-0000-0000-0000-00000000c001'
  and tenant_id = 'bbbbbbbb-0000-0000-0000-000000000000' and permission = '*'), 'the approved grant opens its tenant');
update public.support_access_grants set revoked_at = now(), revoked_by = '00000000-0000-0000-0000-00000000b001'
where id = '70000000-0000-0000-0000-000000000003';
select tests.access_matches('a support grant revoked');

update public.support_access_grants set expires_at = now() - interval '1 second' where id = '70000000-0000-0000-0000-000000000001';
select tests.access_matches('a support grant expired');
update public.support_access_grants set expires_at = now() + interval '1 day' where id = '70000000-0000-0000-0000-000000000001';

update public.platform_staff set role = 'platform_admin' where user_id = '00000000-0000-0000-0000-00000000c002';
select tests.access_matches('support staff moved to another platform role');
update public.platform_staff set role = 'platform_support' where user_id = '00000000-0000-0000-0000-00000000c002';
select tests.access_matches('and back to support');

delete from public.role_permissions where role = 'hr_manager' and permission = 'employees.read';
select tests.access_matches('a role loses a permission');
select ok(not exists (select from private.tenant_access a join public.memberships m on m.user_id = a.user_id and m.tenant_id = a.tenant_id
  where m.role = 'hr_manager' and a.permission = 'employees.read'), 'its members lose it');
insert into public.role_permissions (role, permission) values ('hr_manager', 'employees.read');
select tests.access_matches('and gains it back');

select is(private.rebuild_tenant_access() > 0, true, 'a rebuild recomputes every user');
select tests.access_matches('a rebuild gives the same rows');

-- Reading and writing the table as the API roles.
select tests.act_as('owner_a');
select is((select count(*)::int from private.tenant_access where user_id <> auth.uid()), 0,
  'a user reads no one else''s access rows');
select throws_ok($$insert into private.tenant_access (user_id, permission, tenant_id)
  values (auth.uid(), 'employees.read', 'bbbbbbbb-0000-0000-0000-000000000000')$$, '42501', null,
  'nobody signed in can give themselves access');
select ok((select count(*) from private.my_tenant_access) > 0, 'a member sees their access rows through the view');
select results_eq('select tenant_id, permission, expires_at from private.my_tenant_access order by 1, 2',
  'select tenant_id, permission, expires_at from private.tenant_access order by 1, 2',
  'the view shows a user exactly the access rows the table''s own policy shows them');
select throws_ok($$update private.my_tenant_access set permission = '*'$$, '42501', null,
  'nobody signed in can write through the view (update)');
select throws_ok($$insert into private.my_tenant_access (tenant_id, permission)
  values ('bbbbbbbb-0000-0000-0000-000000000000', '*')$$, '42501', null, 'nor insert through it');
select tests.act_as('anon');
select throws_ok('select 1 from private.tenant_access', '42501', null, 'anon cannot read access rows');
select throws_ok('select 1 from private.my_tenant_access', '42501', null, 'nor through the view');
select tests.act_as('service_role');
select throws_ok('select 1 from private.my_tenant_access', '42501', null,
  'service_role cannot read access rows through the view (it answers only for a signed-in caller)');

-- Employees read their own record through the RPC.
select tests.act_as('employee_a');
select results_eq('select id from public.my_employee_records()', $$values ('20000000-0000-0000-0000-0000000000a1'::uuid)$$,
  'a linked employee reads their own record');
select tests.act_as('owner_a');
select is_empty('select id from public.my_employee_records()', 'a member without a linked record gets none');
select tests.act_as_superuser();
delete from public.memberships where id = '10000000-0000-0000-0000-00000000a004';
select tests.act_as('employee_a');
select is_empty('select id from public.my_employee_records()', 'a former member no longer reads their record');

select * from finish();
rollback;
