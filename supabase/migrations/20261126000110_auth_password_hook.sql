-- Supabase Auth password verification attempt hook: records every sign-in
-- attempt in the audit trail and locks a user out after too many failures.
-- Wire it in supabase/config.toml:
--   [auth.hook.password_verification_attempt]
--   enabled = true
--   uri = "pg-functions://postgres/public/hook_password_verification_attempt"
--
-- Tables:    private.auth_lockout_settings (one row: max_failures, failure_window),
--            private.auth_password_failures (per user: failures in the current window)
-- Functions: private.password_verification_attempt(jsonb) (security definer),
--            public.hook_password_verification_attempt(jsonb) (the hook; supabase_auth_admin only)
-- Policies:  none: RLS is on and only the owner (the security definer function) reads or writes.
--
-- Rule: the Nth failed attempt (default 5) within failure_window (default 15
-- minutes, counted from the first failure) locks the user until that window
-- ends; while locked every attempt, even with the right password, is rejected
-- and does not extend the lock. A successful attempt outside a lock clears the
-- count. Audit actions: auth.sign_in (success | denied), details.reason.

-- tables
create table private.auth_lockout_settings (
  id boolean primary key default true check (id),
  max_failures integer not null default 5 check (max_failures between 1 and 100),
  failure_window interval not null default interval '15 minutes'
    check (failure_window between interval '1 second' and interval '1 day'),
  updated_at timestamptz not null default now()
);
comment on table private.auth_lockout_settings is
  'Single row. max_failures failed password attempts within failure_window lock the user until the window ends.';
insert into private.auth_lockout_settings default values;
alter table private.auth_lockout_settings enable row level security;
revoke all on private.auth_lockout_settings from public, anon, authenticated, service_role;

create table private.auth_password_failures (
  user_id uuid primary key,
  failed_count integer not null check (failed_count > 0),
  first_failed_at timestamptz not null,
  last_failed_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table private.auth_password_failures enable row level security;
revoke all on private.auth_password_failures from public, anon, authenticated, service_role;

-- triggers
create trigger auth_lockout_settings_touch_updated_at
  before update on private.auth_lockout_settings
  for each row execute function private.touch_updated_at();
create trigger auth_password_failures_touch_updated_at
  before update on private.auth_password_failures
  for each row execute function private.touch_updated_at();

-- functions
create function private.password_verification_attempt(event jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid;
  v_valid boolean;
  v_settings private.auth_lockout_settings;
  v_state private.auth_password_failures;
  v_now timestamptz := pg_catalog.clock_timestamp();
begin
  if coalesce(event ->> 'user_id', '') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or pg_catalog.jsonb_typeof(event -> 'valid') is distinct from 'boolean' then
    raise exception 'password verification event needs user_id (uuid) and valid (boolean)'
      using errcode = 'invalid_parameter_value',
            hint = 'Supabase Auth sends {"user_id": "...", "valid": true|false}.';
  end if;
  v_user := (event ->> 'user_id')::uuid;
  v_valid := (event -> 'valid')::boolean;
  select * into v_settings from private.auth_lockout_settings;

  -- Locks this user's row only: attempts of other users never wait.
  select * into v_state from private.auth_password_failures as f where f.user_id = v_user for update;
  if found
     and v_state.failed_count >= v_settings.max_failures
     and v_state.first_failed_at > v_now - v_settings.failure_window then
    perform audit.append_event(null, v_user, 'supabase_auth_admin', 'auth.sign_in',
      'auth_user', v_user::text, null, null, null, 'denied', null, null, null,
      pg_catalog.jsonb_build_object('reason', 'locked_out', 'password_valid', v_valid,
        'failed_count', v_state.failed_count,
        'locked_until', v_state.first_failed_at + v_settings.failure_window));
    return pg_catalog.jsonb_build_object(
      'decision', 'reject',
      'message', 'Too many failed sign-in attempts. Try again later.',
      'should_logout_user', false);
  end if;

  if v_valid then
    delete from private.auth_password_failures as f where f.user_id = v_user;
    perform audit.append_event(null, v_user, 'supabase_auth_admin', 'auth.sign_in',
      'auth_user', v_user::text, null, null, null, 'success', null, null, null, '{}'::jsonb);
    return pg_catalog.jsonb_build_object('decision', 'continue');
  end if;

  -- A failure: count it in the open window, or start a new window.
  insert into private.auth_password_failures as f (user_id, failed_count, first_failed_at, last_failed_at)
  values (v_user, 1, v_now, v_now)
  on conflict (user_id) do update
    set failed_count = case when f.first_failed_at > v_now - v_settings.failure_window
                            then f.failed_count + 1 else 1 end,
        first_failed_at = case when f.first_failed_at > v_now - v_settings.failure_window
                               then f.first_failed_at else v_now end,
        last_failed_at = v_now
  returning * into v_state;
  perform audit.append_event(null, v_user, 'supabase_auth_admin', 'auth.sign_in',
    'auth_user', v_user::text, null, null, null, 'denied', null, null, null,
    pg_catalog.jsonb_build_object('reason', 'invalid_password', 'failed_count', v_state.failed_count));
  -- Auth itself answers "invalid credentials"; the lock applies from the next attempt.
  return pg_catalog.jsonb_build_object('decision', 'continue');
end;
$$;
revoke execute on function private.password_verification_attempt(jsonb) from public, anon, authenticated, service_role;
grant execute on function private.password_verification_attempt(jsonb) to supabase_auth_admin;

create function public.hook_password_verification_attempt(event jsonb)
returns jsonb
language sql
set search_path = ''
as $$
  select private.password_verification_attempt(event)
$$;
revoke execute on function public.hook_password_verification_attempt(jsonb) from public, anon, authenticated, service_role;
grant execute on function public.hook_password_verification_attempt(jsonb) to supabase_auth_admin;

-- grants
grant usage on schema private to supabase_auth_admin;
