-- The faster bodies of private.readable_tenant_ids(text) and
-- private.support_grant_tenant_ids() (20261126003100) give the same tenants as
-- the definitions they replaced (20261126000400, kept below as the reference),
-- for every actor and every permission, in each state that the support-grant
-- branch depends on: a grant holder who is also a member, a revoked grant, a
-- denied grant, support staff moved to another platform role, a soft-deleted
-- tenant. The helpers are called the way policies call them: as the actor,
-- with claims from our access token hook.
begin;
select plan(9);
\ir _support/tenancy-fixtures.psql

-- The replaced definitions, for one user given explicitly.
create function tests.readable_reference(p_user uuid, p_permission text) returns setof uuid
language sql stable as $$
  select m.tenant_id
  from public.memberships m
  join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
  join public.role_permissions rp on rp.role = m.role and rp.permission = p_permission
  where m.user_id = p_user
  union
  select g.tenant_id
  from public.support_access_grants g
  join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
  join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
  where g.support_user_id = p_user
    and g.status = 'approved'
    and g.revoked_at is null
    and g.expires_at > now()
$$;

create function tests.support_grant_reference(p_user uuid) returns setof uuid
language sql stable as $$
  select g.tenant_id
  from public.support_access_grants g
  join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
  join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
  where g.support_user_id = p_user
    and g.status = 'approved'
    and g.revoked_at is null
    and g.expires_at > now()
$$;

-- Every permission, plus one that no role carries.
create table tests.checked_permissions as
select name from public.permissions union all select 'no.such.permission';

-- helper = 'readable:<permission>' or 'support_grant'.
create table tests.helper_answers (state text, actor text, helper text, tenant_id uuid);
create table tests.reference_answers (like tests.helper_answers);
grant select on tests.checked_permissions to authenticated;
grant insert on tests.helper_answers to authenticated;

-- Records, for one data state, what each signed-in actor gets from the
-- helpers (as that actor) and what the reference gives (as the superuser).
create function tests.record_answers(p_state text) returns void
language plpgsql as $$
declare
  a tests.actors;
begin
  for a in select * from tests.actors where db_role = 'authenticated' order by name loop
    perform tests.act_as(a.name);
    insert into tests.helper_answers
    select p_state, a.name, 'readable:' || p.name, t
    from tests.checked_permissions p, private.readable_tenant_ids(p.name) t;
    insert into tests.helper_answers
    select p_state, a.name, 'support_grant', t from private.support_grant_tenant_ids() t;
    perform tests.act_as_superuser();
    insert into tests.reference_answers
    select p_state, a.name, 'readable:' || p.name, t
    from tests.checked_permissions p, tests.readable_reference(a.user_id, p.name) t;
    insert into tests.reference_answers
    select p_state, a.name, 'support_grant', t from tests.support_grant_reference(a.user_id) t;
  end loop;
end;
$$;

-- Tenant ids are compared as sets: the new bodies may list a tenant twice
-- (member and grant holder), which no caller can tell apart.
create function tests.same_answers(p_state text) returns text[]
language sql as $$
  select array[
    format($q$select actor, helper, tenant_id from tests.helper_answers where state = %L$q$, p_state),
    format($q$select actor, helper, tenant_id from tests.reference_answers where state = %L$q$, p_state)]
$$;

select tests.record_answers('fixtures');

-- The grant holder of tenant A also becomes an employee member of tenant A.
insert into public.memberships (tenant_id, user_id, role)
values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000c002', 'employee');
select tests.record_answers('member and grant holder');

update public.support_access_grants set revoked_at = now(), revoked_by = '00000000-0000-0000-0000-00000000a001'
where id = '70000000-0000-0000-0000-000000000001';
select tests.record_answers('grant revoked');

update public.support_access_grants set revoked_at = null, revoked_by = null
where id = '70000000-0000-0000-0000-000000000001';
update public.platform_staff set role = 'platform_admin' where user_id = '00000000-0000-0000-0000-00000000c002';
select tests.record_answers('grant holder no longer platform support');

update public.platform_staff set role = 'platform_support' where user_id = '00000000-0000-0000-0000-00000000c002';
update public.tenants set deleted_at = now() where id = 'aaaaaaaa-0000-0000-0000-000000000000';
select tests.record_answers('tenant soft-deleted');

update public.tenants set deleted_at = null where id = 'aaaaaaaa-0000-0000-0000-000000000000';
update public.support_access_grants set status = 'denied' where id = '70000000-0000-0000-0000-000000000001';
select tests.record_answers('grant denied');

-- The states exercise both branches: the grant branch answers, then stops.
select ok(exists (select from tests.helper_answers where state = 'fixtures' and actor = 'support_active'
                  and helper = 'support_grant' and tenant_id = 'aaaaaaaa-0000-0000-0000-000000000000'),
  'an active grant opens tenant A to support_active (the grant branch is exercised)');
select ok(not exists (select from tests.helper_answers where state = 'grant revoked' and actor = 'support_active'
                      and helper = 'support_grant'),
  'once revoked, the grant opens no tenant to support_active');

select set_eq(q[1], q[2], format('readable_tenant_ids and support_grant_tenant_ids give the replaced answers: %s', s))
from unnest(array['fixtures', 'member and grant holder', 'grant revoked',
                  'grant holder no longer platform support', 'tenant soft-deleted', 'grant denied']) s,
     tests.same_answers(s) q;

select cmp_ok((select count(*)::int from tests.reference_answers), '>', 100,
  'the comparison covers every actor and permission (over a hundred expected tenant ids)');

select * from finish();
rollback;
