-- Reverts 20261126003100_faster_readable_tenant_helpers.sql: the bodies of
-- 20261126000400_authorization_helpers.sql, verbatim.
create or replace function private.readable_tenant_ids(p_permission text)
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.tenant_id
    from public.memberships m
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    join public.role_permissions rp on rp.role = m.role and rp.permission = p_permission
    where m.user_id = auth.uid()
    union
    select g.tenant_id
    from public.support_access_grants g
    join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
    join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
    where g.support_user_id = auth.uid()
      and g.status = 'approved'
      and g.revoked_at is null
      and g.expires_at > now();
end;
$$;
revoke execute on function private.readable_tenant_ids(text) from public;
grant execute on function private.readable_tenant_ids(text) to authenticated, service_role;

create or replace function private.support_grant_tenant_ids()
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select g.tenant_id
    from public.support_access_grants g
    join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
    join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
    where g.support_user_id = auth.uid()
      and g.status = 'approved'
      and g.revoked_at is null
      and g.expires_at > now();
end;
$$;
revoke execute on function private.support_grant_tenant_ids() from public;
grant execute on function private.support_grant_tenant_ids() to authenticated, service_role;
