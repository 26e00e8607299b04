-- Foundation: the `private` schema (never exposed through PostgREST) for
-- helpers, keys and jobs; default privileges; the shared updated_at trigger.
--
-- Schemas:   private
-- Functions: private.touch_updated_at()

-- schemas
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;

-- Functions are not callable by everyone unless a migration says so.
-- (Postgres grants EXECUTE to PUBLIC globally, so only a global revoke removes it.)
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- functions
create or replace function private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
revoke execute on function private.touch_updated_at() from public;
