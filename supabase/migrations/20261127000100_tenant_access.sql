-- Who may read which tenant, kept as rows (issue 3 "Performance": RLS
-- overhead ≤ 1.2×, measured in bench/rls.bench.ts).
--
-- Every read policy used to call private.readable_tenant_ids(), a security
-- definer plpgsql function joining memberships, role_permissions, tenants and
-- support grants on each statement: about 0.1 ms a call, and the employees
-- policies made two such calls. Here the same answer is kept in
-- private.tenant_access, one row per (user, permission, tenant), rewritten
-- by triggers in the same transaction as any change to the rows it derives
-- from. A policy then reads it with one index probe inside the query plan
-- itself (no function call), so the check stays live: a revoked membership
-- or grant is gone from the table when its transaction commits.
--
-- Correctness under concurrency (read committed, the isolation PostgREST and
-- the functions use):
--   * One user's rows are rewritten by one transaction at a time: each
--     refresh first upserts the user's row in private.tenant_access_refreshes,
--     so a second refresh waits for the first to commit and then computes
--     from what it committed. Under repeatable read the second fails to
--     serialize instead of computing from an older snapshot.
--   * Changes that affect other users are made visible to their refreshes:
--     a refresh locks the tenants it derives rows from (for key share is not
--     enough: for share waits for a concurrent soft delete), and a change to
--     role_permissions locks memberships against concurrent writes before it
--     refreshes every holder of the role.
-- Support grants become one row per tenant with permission '*' (a grant opens
-- the tenant for reading whatever the permission) and their expiry, checked
-- by the reader, since time passes without a trigger.
--
-- The employees read policy now needs a single probe. The employee's own row
-- moves out of it into public.my_employee_records(): as a second arm of the
-- policy ("or it is my row") the planner chose a BitmapOr and sorted every
-- row of the tenant for a 50-row page (bench/rls.bench.ts), and as a
-- restrictive policy it cost a second probe per statement.
--
-- Tables:    private.tenant_access, private.tenant_access_refreshes
-- Functions: private.refresh_tenant_access(uuid), private.rebuild_tenant_access(),
--            private.tenant_access_follows_{user,tenants,role_permissions}(),
--            private.readable_tenant_ids(text), private.support_grant_tenant_ids() (new bodies),
--            private.my_employee_records(), public.my_employee_records()
-- Triggers:  <table>_refresh_tenant_access on memberships, support_access_grants,
--            platform_staff, tenants, role_permissions
-- Policies:  on private.tenant_access "users read their own access rows";
--            on public.employees "people managers and granted support read employees"
--            replaces the permissive/restrictive pair

-- tables
create table private.tenant_access (
  user_id uuid not null references auth.users (id) on delete cascade,
  permission text not null,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- set for support grants only
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (user_id, permission, tenant_id)
);
comment on table private.tenant_access is
  'Derived from memberships × role_permissions and approved support grants (permission ''*''), for live tenants only; written only by private.refresh_tenant_access().';
create index tenant_access_tenant_id_idx on private.tenant_access (tenant_id);
alter table private.tenant_access enable row level security;

-- One row per user whose access was ever computed: the lock that orders
-- refreshes of that user. No foreign key, so deleting a user (whose cascade
-- refreshes them once more) never trips over it.
create table private.tenant_access_refreshes (
  user_id uuid primary key,
  refreshed_at timestamptz not null default now()
);
alter table private.tenant_access_refreshes enable row level security;

-- functions
create function private.refresh_tenant_access(p_user_id uuid)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_user_id is null then
    return;
  end if;
  insert into private.tenant_access_refreshes as r (user_id) values (p_user_id)
    on conflict (user_id) do update set refreshed_at = now();
  -- wait for any uncommitted soft delete of a tenant this user reaches
  perform from public.tenants t
    where t.id in (select m.tenant_id from public.memberships m where m.user_id = p_user_id
                   union all
                   select g.tenant_id from public.support_access_grants g where g.support_user_id = p_user_id)
    order by t.id
    for share;
  delete from private.tenant_access a where a.user_id = p_user_id;
  insert into private.tenant_access (user_id, permission, tenant_id)
    select distinct m.user_id, rp.permission, m.tenant_id
      from public.memberships m
      join public.role_permissions rp on rp.role = m.role
      join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
     where m.user_id = p_user_id;
  insert into private.tenant_access (user_id, permission, tenant_id, expires_at)
    select g.support_user_id, '*', g.tenant_id, max(g.expires_at)
      from public.support_access_grants g
      join public.platform_staff ps on ps.user_id = g.support_user_id and ps.role = 'platform_support'
      join public.tenants t on t.id = g.tenant_id and t.deleted_at is null
     where g.support_user_id = p_user_id
       and g.status = 'approved'
       and g.revoked_at is null
       and g.expires_at > now()
     group by g.support_user_id, g.tenant_id;
end;
$$;
revoke execute on function private.refresh_tenant_access(uuid) from public, anon, authenticated;
grant execute on function private.refresh_tenant_access(uuid) to service_role;

-- For loads that ran with triggers off (session_replication_role = replica):
-- recomputes every user's rows.
create function private.rebuild_tenant_access()
returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_users bigint := 0;
  v_user uuid;
begin
  for v_user in
    select user_id from public.memberships
    union select support_user_id from public.support_access_grants
    union select user_id from private.tenant_access
    order by 1
  loop
    perform private.refresh_tenant_access(v_user);
    v_users := v_users + 1;
  end loop;
  return v_users;
end;
$$;
revoke execute on function private.rebuild_tenant_access() from public, anon, authenticated;
grant execute on function private.rebuild_tenant_access() to service_role;

-- A row naming a user changed (memberships, support grants, platform staff):
-- that user, before and after. The trigger's argument names the user column.
create function private.tenant_access_follows_user()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_old uuid := case when tg_op <> 'INSERT' then (to_jsonb(old) ->> tg_argv[0])::uuid end;
  v_new uuid := case when tg_op <> 'DELETE' then (to_jsonb(new) ->> tg_argv[0])::uuid end;
begin
  perform private.refresh_tenant_access(v_old);
  if v_new is distinct from v_old then
    perform private.refresh_tenant_access(v_new);
  end if;
  return null;
end;
$$;

-- A tenant soft-deleted or restored: everyone who reaches it.
create function private.tenant_access_follows_tenants()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid;
begin
  for v_user in
    select m.user_id from public.memberships m where m.tenant_id = new.id
    union
    select g.support_user_id from public.support_access_grants g where g.tenant_id = new.id
    order by 1
  loop
    perform private.refresh_tenant_access(v_user);
  end loop;
  return null;
end;
$$;

-- A role gains or loses a permission: every member holding the role. The
-- share lock on memberships waits for (and then blocks) membership writes,
-- so no member is added with the old permissions after the refresh ran.
-- Repeatable read would compute from a snapshot older than that lock.
create function private.tenant_access_follows_role_permissions()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_user uuid;
begin
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'role permissions can only be changed in a read committed transaction'
      using errcode = 'serialization_failure',
            hint = 'tenant access is recomputed from what other transactions committed.';
  end if;
  lock table public.memberships in share mode;
  for v_user in
    select m.user_id from public.memberships m
     where m.role in (select old.role where tg_op <> 'INSERT' union select new.role where tg_op <> 'DELETE')
    order by 1
  loop
    perform private.refresh_tenant_access(v_user);
  end loop;
  return null;
end;
$$;

-- New bodies of the helpers that the other read policies call: the same sets
-- (tests/db/16 compares them with the original definitions in every state),
-- now one probe of tenant_access.
create or replace function private.readable_tenant_ids(p_permission text)
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select a.tenant_id
    from private.tenant_access a
    where a.user_id = auth.uid()
      and a.permission in (p_permission, '*')
      and (a.expires_at is null or a.expires_at > now());
end;
$$;

create or replace function private.support_grant_tenant_ids()
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select a.tenant_id
    from private.tenant_access a
    where a.user_id = auth.uid()
      and a.permission = '*'
      and a.expires_at > now();
end;
$$;

-- An employee's own records, in tenants they still belong to (what the
-- employees policy used to show them through its "own row" arm).
create function private.my_employee_records()
returns setof public.employees
language sql stable security definer
set search_path = ''
as $$
  select e.* from public.employees e where e.id in (select private.my_employee_ids()) order by e.tenant_id, e.id
$$;
revoke execute on function private.my_employee_records() from public, anon;
grant execute on function private.my_employee_records() to authenticated, service_role;

create function public.my_employee_records()
returns setof public.employees
language sql stable
set search_path = ''
as $$
  select * from private.my_employee_records()
$$;
revoke execute on function public.my_employee_records() from public, anon, service_role;
grant execute on function public.my_employee_records() to authenticated;

-- triggers
create trigger memberships_refresh_tenant_access
  after insert or update of user_id, tenant_id, role or delete on public.memberships
  for each row execute function private.tenant_access_follows_user('user_id');
create trigger support_access_grants_refresh_tenant_access
  after insert or update of support_user_id, tenant_id, status, expires_at, revoked_at or delete on public.support_access_grants
  for each row execute function private.tenant_access_follows_user('support_user_id');
create trigger platform_staff_refresh_tenant_access
  after insert or update of user_id, role or delete on public.platform_staff
  for each row execute function private.tenant_access_follows_user('user_id');
create trigger tenants_refresh_tenant_access
  after update of deleted_at on public.tenants
  for each row when (old.deleted_at is distinct from new.deleted_at)
  execute function private.tenant_access_follows_tenants();
create trigger role_permissions_refresh_tenant_access
  after insert or update or delete on public.role_permissions
  for each row execute function private.tenant_access_follows_role_permissions();

-- policies
-- Read by policies as the caller (a subquery, not a function call, so the
-- probe is planned once with the statement); each user sees only their rows.
grant select on private.tenant_access to authenticated;
create policy "users read their own access rows"
  on private.tenant_access for select to authenticated
  using (user_id = (select auth.uid()));

drop policy "members and granted support can reach their tenant's employees" on public.employees;
drop policy "only people managers, granted support and the employee read rows" on public.employees;
create policy "people managers and granted support read employees"
  on public.employees for select to authenticated
  using (tenant_id = any(array(
    select a.tenant_id from private.tenant_access a
     where a.user_id = (select auth.uid())
       and a.permission in ('employees.read', '*')
       and (a.expires_at is null or a.expires_at > now()))));

-- data
select private.rebuild_tenant_access();
