-- Authorization helpers used by every policy. All are security definer (they
-- read memberships/grants that the caller may not see), stable, with an empty
-- search_path and fully qualified names. Decisions read live rows: never JWT
-- claims, never user_metadata. Policies call them as (select private.fn(...))
-- or tenant_id = any(array(select private.fn(...))) so the planner runs them
-- once per statement (InitPlan) and can use the tenant_id index.
-- They are plpgsql, not sql: a security definer SQL function is never inlined
-- and is planned afresh on every call, while plpgsql caches its plans per
-- session (measured in bench/rls.bench.ts).
--
-- Functions: private.my_tenant_ids(), private.tenants_where_i_can(text),
--            private.support_grant_tenant_ids(), private.readable_tenant_ids(text),
--            private.role_rank(text), private.my_role_in(uuid), private.my_rank_in(uuid),
--            private.has_permission(uuid, text), private.platform_role(),
--            private.is_platform_admin(), private.is_platform_support(),
--            private.has_platform_permission(text), private.has_active_support_grant(uuid)

-- functions
-- Tenants (not soft-deleted) the caller belongs to, any role.
create function private.my_tenant_ids()
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select m.tenant_id
    from public.memberships m
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    where m.user_id = auth.uid();
end;
$$;
revoke execute on function private.my_tenant_ids() from public;
grant execute on function private.my_tenant_ids() to authenticated, service_role;

-- Tenants where the caller's role carries the permission.
create function private.tenants_where_i_can(p_permission text)
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
    where m.user_id = auth.uid();
end;
$$;
revoke execute on function private.tenants_where_i_can(text) from public;
grant execute on function private.tenants_where_i_can(text) to authenticated, service_role;

-- Tenants the caller (a platform support user) may see right now: approved,
-- unexpired, unrevoked grants only.
create function private.support_grant_tenant_ids()
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

-- Tenants whose rows the caller may read: where their role carries the
-- permission, plus tenants open to them under an active support grant. One
-- set, so a read policy is a single indexable tenant_id = any(...).
create function private.readable_tenant_ids(p_permission text)
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

-- Rank of a tenant role; null for platform roles and unknown names.
create function private.role_rank(p_role text)
returns integer
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select r.rank from public.roles r where r.name = p_role and r.scope = 'tenant');
end;
$$;
revoke execute on function private.role_rank(text) from public;
grant execute on function private.role_rank(text) to authenticated, service_role;

create function private.my_role_in(p_tenant_id uuid)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (
    select m.role
    from public.memberships m
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    where m.user_id = auth.uid() and m.tenant_id = p_tenant_id
  );
end;
$$;
revoke execute on function private.my_role_in(uuid) from public;
grant execute on function private.my_role_in(uuid) to authenticated, service_role;

-- 0 when the caller is not a member.
create function private.my_rank_in(p_tenant_id uuid)
returns integer
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return coalesce((
    select r.rank
    from public.memberships m
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    join public.roles r on r.name = m.role
    where m.user_id = auth.uid() and m.tenant_id = p_tenant_id
  ), 0);
end;
$$;
revoke execute on function private.my_rank_in(uuid) from public;
grant execute on function private.my_rank_in(uuid) to authenticated, service_role;

create function private.has_permission(p_tenant_id uuid, p_permission text)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.memberships m
    join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
    join public.role_permissions rp on rp.role = m.role and rp.permission = p_permission
    where m.user_id = auth.uid() and m.tenant_id = p_tenant_id
  );
end;
$$;
revoke execute on function private.has_permission(uuid, text) from public;
grant execute on function private.has_permission(uuid, text) to authenticated, service_role;

create function private.platform_role()
returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select ps.role from public.platform_staff ps where ps.user_id = auth.uid());
end;
$$;
revoke execute on function private.platform_role() from public;
grant execute on function private.platform_role() to authenticated, service_role;

create function private.is_platform_admin()
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.platform_staff ps where ps.user_id = auth.uid() and ps.role = 'platform_admin');
end;
$$;
revoke execute on function private.is_platform_admin() from public;
grant execute on function private.is_platform_admin() to authenticated, service_role;

create function private.is_platform_support()
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.platform_staff ps where ps.user_id = auth.uid() and ps.role = 'platform_support');
end;
$$;
revoke execute on function private.is_platform_support() from public;
grant execute on function private.is_platform_support() to authenticated, service_role;

create function private.has_platform_permission(p_permission text)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.platform_staff ps
    join public.role_permissions rp on rp.role = ps.role and rp.permission = p_permission
    where ps.user_id = auth.uid()
  );
end;
$$;
revoke execute on function private.has_platform_permission(text) from public;
grant execute on function private.has_platform_permission(text) to authenticated, service_role;

create function private.has_active_support_grant(p_tenant_id uuid)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return p_tenant_id in (select private.support_grant_tenant_ids());
end;
$$;
revoke execute on function private.has_active_support_grant(uuid) from public;
grant execute on function private.has_active_support_grant(uuid) to authenticated, service_role;
