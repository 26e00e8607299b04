-- Idempotency keys: a POST that creates something may carry an
-- `Idempotency-Key`; the functions record the key, a fingerprint of the
-- request and (once it succeeded) its status and response, so a retry gets the
-- same answer instead of creating a second record. Rows belong to the calling
-- user and are read and written in that user's own transaction (RLS), never
-- through the service role. Only 2xx responses are kept; routes that use this
-- return masked values, never plaintext protected fields.
--
-- Tables:    private.idempotency_keys
-- Triggers:  idempotency_keys_touch_updated_at
-- Policies:  "users can read their own idempotency keys",
--            "users can record their own idempotency keys",
--            "users can update their own idempotency keys",
--            "users can delete their own idempotency keys"

-- tables
create table private.idempotency_keys (
  user_id uuid not null references auth.users (id) on delete cascade,
  scope text not null check (char_length(scope) between 1 and 300),
  key text not null check (key ~ '^[\x21-\x7e]{1,255}$'),
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  status smallint check (status between 200 and 299),
  response_body jsonb,
  locked_at timestamptz not null default now(),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, scope, key),
  check ((status is null) = (response_body is null))
);
comment on table private.idempotency_keys is
  'Idempotency-Key records for POSTs that create things; expired rows may be deleted at any time.';
create index idempotency_keys_expires_at_idx on private.idempotency_keys (expires_at);

-- triggers
create trigger idempotency_keys_touch_updated_at before update on private.idempotency_keys
  for each row execute function private.touch_updated_at();

-- grants
revoke all on private.idempotency_keys from public, anon;
grant select, insert, update, delete on private.idempotency_keys to authenticated;
grant select, delete on private.idempotency_keys to service_role;

-- policies
alter table private.idempotency_keys enable row level security;

create policy "users can read their own idempotency keys" on private.idempotency_keys
  for select to authenticated using (user_id = (select auth.uid()));
create policy "users can record their own idempotency keys" on private.idempotency_keys
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "users can update their own idempotency keys" on private.idempotency_keys
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "users can delete their own idempotency keys" on private.idempotency_keys
  for delete to authenticated using (user_id = (select auth.uid()));
