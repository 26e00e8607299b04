-- Reverts 20261127000100_tenant_access.sql: the employees read policies of
-- 20261126000600, the helper bodies of 20261126003100 (verbatim), then the
-- triggers, functions and tables that kept tenant access as rows.
drop policy if exists "people managers and granted support read employees" on public.employees;
create policy "members and granted support can reach their tenant's employees"
  on public.employees for select to authenticated
  using (tenant_id = any(array(select private.readable_tenant_ids('tenant.read'))));
create policy "only people managers, granted support and the employee read rows"
  on public.employees as restrictive for select to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('employees.read')))
    or id = any(array(select private.my_employee_ids()))
  );

create or replace function private.readable_tenant_ids(p_permission text)
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
begin
  return query
    select m.tenant_id
    from public.memberships m
    join public.role_permissions rp on rp.role = m.role and rp.permission = p_permission
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    where m.user_id = v_uid;
  if exists (select from public.platform_staff ps where ps.user_id = v_uid and ps.role = 'platform_support') then
    return query
      select g.tenant_id
      from public.support_access_grants g
      join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
      where g.support_user_id = v_uid
        and g.status = 'approved'
        and g.revoked_at is null
        and g.expires_at > now();
  end if;
end;
$$;

create or replace function private.support_grant_tenant_ids()
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
begin
  if exists (select from public.platform_staff ps where ps.user_id = v_uid and ps.role = 'platform_support') then
    return query
      select g.tenant_id
      from public.support_access_grants g
      join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
      where g.support_user_id = v_uid
        and g.status = 'approved'
        and g.revoked_at is null
        and g.expires_at > now();
  end if;
end;
$$;

drop trigger if exists memberships_refresh_tenant_access on public.memberships;
drop trigger if exists support_access_grants_refresh_tenant_access on public.support_access_grants;
drop trigger if exists platform_staff_refresh_tenant_access on public.platform_staff;
drop trigger if exists tenants_refresh_tenant_access on public.tenants;
drop trigger if exists role_permissions_refresh_tenant_access on public.role_permissions;

drop function if exists public.my_employee_records();
drop function if exists private.my_employee_records();
drop function if exists private.tenant_access_follows_user();
drop function if exists private.tenant_access_follows_tenants();
drop function if exists private.tenant_access_follows_role_permissions();
drop function if exists private.rebuild_tenant_access();
drop function if exists private.refresh_tenant_access(uuid);

drop table if exists private.tenant_access_refreshes;
drop table if exists private.tenant_access;
