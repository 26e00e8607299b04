-- Support access grants: a platform support user asks for time-boxed access
-- to one tenant; a tenant admin approves or denies; anyone with the right can
-- revoke. Only an approved, unexpired, unrevoked grant opens the tenant's rows
-- (private.support_grant_tenant_ids(), next migration).
--
-- Tables:    public.support_access_grants
-- Triggers:  support_access_grants_touch_updated_at,
--            support_access_grants_enforce_workflow
-- Functions: private.enforce_support_access_grant_workflow()
-- Policies:  none here (see 20261126000500_tenancy_policies.sql)

-- tables
create table public.support_access_grants (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  support_user_id uuid not null references public.platform_staff (user_id) on delete cascade,
  reason text not null check (length(btrim(reason)) between 5 and 1000),
  status text not null default 'requested' check (status in ('requested', 'approved', 'denied')),
  requested_at timestamptz not null default now(),
  decided_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  check (expires_at > requested_at),
  check ((status = 'requested') = (decided_at is null))
);
create index support_access_grants_support_user_idx
  on public.support_access_grants (support_user_id, tenant_id, status, expires_at);
create index support_access_grants_decided_by_idx on public.support_access_grants (decided_by);
create index support_access_grants_revoked_by_idx on public.support_access_grants (revoked_by);

-- triggers
create trigger support_access_grants_touch_updated_at before update on public.support_access_grants
  for each row execute function private.touch_updated_at();

-- functions
-- Workflow for API callers (authenticated): a request always starts as
-- 'requested' for at most 30 days; only requested -> approved|denied; the
-- grantee cannot decide their own request; who/when is stamped from the
-- session, never from the row; expiry may only be shortened; a revocation
-- cannot be undone. service_role/postgres (admin paths) are trusted.
create function private.enforce_support_access_grant_workflow()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    new.status := 'requested';
    new.requested_at := now();
    new.decided_by := null;
    new.decided_at := null;
    new.revoked_at := null;
    new.revoked_by := null;
    if new.expires_at <= now() or new.expires_at > now() + interval '30 days' then
      raise exception 'support access must expire within 30 days'
        using errcode = 'P0001', hint = 'Choose an expires_at between now and 30 days from now.';
    end if;
    return new;
  end if;

  if new.tenant_id <> old.tenant_id or new.support_user_id <> old.support_user_id
     or new.reason <> old.reason or new.requested_at <> old.requested_at then
    raise exception 'a support access grant''s tenant, grantee, reason and request time are fixed'
      using errcode = '42501', hint = 'Ask for a new grant instead.';
  end if;
  if new.expires_at > old.expires_at then
    raise exception 'a support access grant cannot be extended'
      using errcode = 'P0001', hint = 'Ask for a new grant instead.';
  end if;
  if old.revoked_at is not null and new.revoked_at is distinct from old.revoked_at then
    raise exception 'a revoked support access grant stays revoked'
      using errcode = 'P0001', hint = 'Ask for a new grant instead.';
  end if;
  if new.revoked_at is not null and old.revoked_at is null then
    new.revoked_at := now();
    new.revoked_by := auth.uid();
  end if;
  if new.status is distinct from old.status then
    if old.status <> 'requested' or new.status not in ('approved', 'denied') then
      raise exception 'a support access grant can only go from requested to approved or denied'
        using errcode = 'P0001', hint = 'Decide a pending request, or revoke an approved grant.';
    end if;
    if auth.uid() = old.support_user_id then
      raise exception 'a support user cannot decide their own access request'
        using errcode = '42501', hint = 'A tenant owner or admin decides the request.';
    end if;
    new.decided_by := auth.uid();
    new.decided_at := now();
  elsif new.decided_by is distinct from old.decided_by or new.decided_at is distinct from old.decided_at then
    raise exception 'decision fields are set by the database'
      using errcode = '42501', hint = 'Change status instead.';
  end if;
  return new;
end;
$$;
revoke execute on function private.enforce_support_access_grant_workflow() from public;

create trigger support_access_grants_enforce_workflow before insert or update on public.support_access_grants
  for each row execute function private.enforce_support_access_grant_workflow();

-- grants
revoke all on public.support_access_grants from anon, authenticated;
grant select, insert, update, delete on public.support_access_grants to authenticated;
grant all on public.support_access_grants to service_role;

alter table public.support_access_grants enable row level security;
