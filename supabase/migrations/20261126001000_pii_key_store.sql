-- PII key store: per-tenant data keys, stored only wrapped by a KEK that lives
-- in the functions' secrets; shape checks for ciphertext and blind-index bytes.
--
-- Tables:    private.tenant_data_keys
-- Triggers:  tenant_data_keys_touch_updated_at
-- Functions: private.is_pii_ciphertext(bytea), private.is_blind_index(bytea)
-- Policies:  none (RLS on, no policy: only the owner and service_role, which
--            bypasses RLS, reach the table; it is not in an exposed schema)

-- tables
create table private.tenant_data_keys (
  tenant_id        uuid        not null references public.tenants (id) on delete cascade,
  version          integer     not null check (version >= 1),
  kek_version      integer     not null check (kek_version >= 1),
  -- IV (12) || AES-256-GCM(KEK, 32-byte key) (32) || tag (16); null once destroyed.
  wrapped_key      bytea       check (octet_length(wrapped_key) = 60),
  status           text        not null default 'active'
                               check (status in ('active', 'retired', 'destroyed')),
  encryption_count bigint      not null default 0 check (encryption_count >= 0),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  retired_at       timestamptz,
  destroyed_at     timestamptz,
  primary key (tenant_id, version),
  constraint tenant_data_keys_destroyed_has_no_key
    check ((status = 'destroyed') = (wrapped_key is null))
);
comment on table private.tenant_data_keys is
  'Per-tenant AES-256-GCM data keys, wrapped by a KEK (see functions/_shared/crypto/kek.ts). No plaintext key ever.';
create unique index tenant_data_keys_one_active_per_tenant
  on private.tenant_data_keys (tenant_id) where status = 'active';
alter table private.tenant_data_keys enable row level security;

-- triggers
create trigger tenant_data_keys_touch_updated_at
  before update on private.tenant_data_keys
  for each row execute function private.touch_updated_at();

-- functions
-- Shape of a stored PII ciphertext: format byte 1, then u32 key version, a
-- 12-byte IV, at least one byte of ciphertext and a 16-byte tag.
create function private.is_pii_ciphertext(value bytea)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select octet_length(value) >= 1 + 4 + 12 + 16 + 1 and get_byte(value, 0) = 1
$$;
grant execute on function private.is_pii_ciphertext(bytea) to authenticated, service_role;

-- A blind index is an HMAC-SHA-256 output: exactly 32 bytes.
create function private.is_blind_index(value bytea)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select octet_length(value) = 32
$$;
grant execute on function private.is_blind_index(bytea) to authenticated, service_role;

-- grants
revoke all on table private.tenant_data_keys from public, anon, authenticated;
grant select, insert, update on table private.tenant_data_keys to service_role;
