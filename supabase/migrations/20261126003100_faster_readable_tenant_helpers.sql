-- Cheaper bodies for the two helpers that every tenant read policy calls
-- (RLS overhead, issue 3 "Performance"; measured in bench/rls.bench.ts).
-- Same answers, same signatures, same security (definer, empty search_path,
-- stable, plpgsql so their plans stay cached per session); only the work per
-- call shrinks:
--   * auth.uid() is read once into a variable. It parses request.jwt.claims
--     as jsonb on every evaluation (about 5 µs), and the old bodies evaluated
--     it in each branch.
--   * The support-grant branch runs only for platform support staff: one
--     primary-key probe of platform_staff instead of a three-table join that
--     every tenant member paid for and that always came back empty for them.
--   * union all instead of union: callers use the set as
--     tenant_id = any(array(...)) or "in (select ...)", where a duplicate
--     tenant id changes nothing, so the sort that removed duplicates is gone.
--
-- Functions: private.readable_tenant_ids(text), private.support_grant_tenant_ids()

-- functions
-- Tenants whose rows the caller may read: where their role carries the
-- permission, plus tenants open to them under an active support grant.
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
revoke execute on function private.readable_tenant_ids(text) from public;
grant execute on function private.readable_tenant_ids(text) to authenticated, service_role;

-- Tenants the caller (a platform support user) may see right now: approved,
-- unexpired, unrevoked grants only.
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
revoke execute on function private.support_grant_tenant_ids() from public;
grant execute on function private.support_grant_tenant_ids() to authenticated, service_role;
