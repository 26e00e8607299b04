-- What the admin function needs from the database: a permission for key
-- rotation, a rate-limit counter that holds across function instances, the
-- tenant member list with names and emails for member managers, and the
-- platform admin's "create a tenant with its first owner".
--
-- Tables:    private.rate_limit_windows
-- Triggers:  rate_limit_windows_touch_updated_at
-- Functions: private.hit_rate_limit(text, integer, integer),
--            private.tenant_members(uuid),
--            private.create_tenant_with_owner(text, text, text, bytea, timestamptz),
--            private.tenant_key_rotations(uuid, uuid)
-- Policies:  none (RLS on, no policy: reached only through the security
--            definer functions above)
-- Data:      permission keys.rotate, granted to owner and admin

-- tables
-- One row per (user, action, fixed window): how many times the user did the
-- action in that window. Old windows are pruned by hit_rate_limit.
create table private.rate_limit_windows (
  user_id uuid not null references auth.users (id) on delete cascade,
  action text not null check (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
  window_start timestamptz not null,
  hits integer not null default 0 check (hits >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, action, window_start)
);
comment on table private.rate_limit_windows is
  'Fixed-window counters per user and action (functions/_shared/rate-limit.ts).';
create index rate_limit_windows_window_start_idx on private.rate_limit_windows (window_start);
alter table private.rate_limit_windows enable row level security;

-- reference data
insert into public.permissions (name, description) values
  ('keys.rotate', 'Rotate the tenant''s data encryption key');
insert into public.role_permissions (role, permission) values
  ('owner', 'keys.rotate'),
  ('admin', 'keys.rotate');

-- triggers
create trigger rate_limit_windows_touch_updated_at before update on private.rate_limit_windows
  for each row execute function private.touch_updated_at();

-- functions
-- Counts one attempt of the caller at p_action in the current fixed window of
-- p_window_seconds and says whether it is within p_limit. A refused attempt
-- is counted too (a caller hammering the limit stays limited).
create function private.hit_rate_limit(p_action text, p_limit integer, p_window_seconds integer)
returns table (allowed boolean, hits integer, retry_after_seconds integer)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_start timestamptz;
  v_hits integer;
begin
  if v_user is null then
    raise exception 'rate limits apply to signed-in users only'
      using errcode = 'KZ401', hint = 'Call with a user access token.';
  end if;
  if p_limit is null or p_limit < 1 or p_window_seconds is null or p_window_seconds not between 1 and 86400 then
    raise exception 'invalid rate limit'
      using errcode = '22023', hint = 'p_limit >= 1 and p_window_seconds between 1 and 86400.';
  end if;
  v_start := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
  insert into private.rate_limit_windows as w (user_id, action, window_start, hits)
  values (v_user, p_action, v_start, 1)
  on conflict (user_id, action, window_start) do update set hits = w.hits + 1
  returning w.hits into v_hits;
  delete from private.rate_limit_windows as w
   where w.user_id = v_user and w.action = p_action and w.window_start < now() - interval '1 day';
  return query select v_hits <= p_limit, v_hits,
    greatest(1, ceil(extract(epoch from (v_start + make_interval(secs => p_window_seconds) - now())))::integer);
end;
$$;
revoke execute on function private.hit_rate_limit(text, integer, integer) from public, anon;
grant execute on function private.hit_rate_limit(text, integer, integer) to authenticated, service_role;

-- The members of a tenant with their email and display name (which the
-- caller could not read row by row: auth.users and other users' profiles are
-- out of reach), for callers holding members.read there.
create function private.tenant_members(p_tenant_id uuid)
returns table (membership_id uuid, user_id uuid, email text, display_name text, role text,
               created_at timestamptz, updated_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not private.has_permission(p_tenant_id, 'members.read') then
    raise exception 'not allowed to read this tenant''s members'
      using errcode = '42501', hint = 'Requires the members.read permission in the tenant.';
  end if;
  return query
    select m.id, m.user_id, u.email::text, coalesce(p.display_name, ''), m.role, m.created_at, m.updated_at
      from public.memberships as m
      join auth.users as u on u.id = m.user_id
      left join public.profiles as p on p.id = m.user_id
     where m.tenant_id = p_tenant_id
     order by private.role_rank(m.role) desc, u.email, m.id;
end;
$$;
revoke execute on function private.tenant_members(uuid) from public, anon;
grant execute on function private.tenant_members(uuid) to authenticated, service_role;

-- Platform admins only: creates a tenant and its first owner. When a user
-- with p_owner_email exists they become owner at once; otherwise an owner
-- invitation is created with p_token_hash (sha256 of a token the caller shows
-- once). Runs as the definer so the owner invitation passes the rank rule
-- that binds API callers; the audit triggers still see the calling user.
create function private.create_tenant_with_owner(
  p_name text, p_slug text, p_owner_email text, p_token_hash bytea, p_expires_at timestamptz)
returns table (tenant_id uuid, owner_user_id uuid, invitation_id uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
  v_user uuid;
  v_invitation uuid;
  v_email text := lower(btrim(p_owner_email));
begin
  if not private.has_platform_permission('platform.tenants.manage') then
    raise exception 'only platform admins can create tenants'
      using errcode = '42501', hint = 'Requires the platform.tenants.manage permission.';
  end if;
  if exists (select 1 from public.tenants as t where t.slug = p_slug) then
    raise exception 'a tenant with this slug already exists'
      using errcode = 'KZ409', hint = 'Choose another slug.';
  end if;
  insert into public.tenants (name, slug) values (p_name, p_slug) returning id into v_tenant;
  select u.id into v_user from auth.users as u where lower(u.email) = v_email order by u.created_at limit 1;
  if v_user is not null then
    insert into public.memberships (tenant_id, user_id, role) values (v_tenant, v_user, 'owner');
  else
    insert into public.invitations (tenant_id, email, role, token_hash, invited_by, expires_at)
    values (v_tenant, v_email, 'owner', p_token_hash, auth.uid(), p_expires_at)
    returning id into v_invitation;
  end if;
  return query select v_tenant, v_user, v_invitation;
end;
$$;
revoke execute on function private.create_tenant_with_owner(text, text, text, bytea, timestamptz) from public, anon;
grant execute on function private.create_tenant_with_owner(text, text, text, bytea, timestamptz) to authenticated;

-- A tenant's data-key rotation jobs (newest first, at most 20; one job with
-- p_job_id), for callers holding keys.rotate there. stalled: a running job
-- whose runner has not advanced it for 30 seconds (it may be resumed).
create function private.tenant_key_rotations(p_tenant_id uuid, p_job_id uuid default null)
returns table (id uuid, tenant_id uuid, kind text, status text, target_version integer, rows_total bigint,
               rows_done bigint, rows_skipped bigint, last_error text, created_at timestamptz,
               updated_at timestamptz, finished_at timestamptz, stalled boolean)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not private.has_permission(p_tenant_id, 'keys.rotate') then
    raise exception 'not allowed to manage this tenant''s keys'
      using errcode = '42501', hint = 'Requires the keys.rotate permission in the tenant.';
  end if;
  return query
    select j.id, j.tenant_id, j.kind, j.status, j.target_version, j.rows_total, j.rows_done, j.rows_skipped,
           j.last_error, j.created_at, j.updated_at, j.finished_at,
           j.status = 'running' and j.updated_at < now() - interval '30 seconds'
      from private.key_rotation_jobs as j
     where j.tenant_id = p_tenant_id and j.kind = 'data_key_reencrypt'
       and (p_job_id is null or j.id = p_job_id)
     order by j.created_at desc, j.id
     limit 20;
end;
$$;
revoke execute on function private.tenant_key_rotations(uuid, uuid) from public, anon;
grant execute on function private.tenant_key_rotations(uuid, uuid) to authenticated, service_role;

-- grants
revoke all on private.rate_limit_windows from public, anon, authenticated;
grant select, delete on private.rate_limit_windows to service_role;
