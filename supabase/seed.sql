-- Development seed for `npm start` / `supabase db reset`. Idempotent.
--
-- Two tenants, one user per tenant role in each, platform staff, a few
-- employees WITHOUT any protected field (the *_ciphertext/*_blind_index
-- columns stay null: PII is only ever written by the edge functions, which
-- hold the keys), an onboarding case and a support ticket.
--
-- Users (all @*.test, fixed ids):
--   owner@acme.test admin@acme.test hr@acme.test employee@acme.test      -> Acme Kenya Ltd
--   owner@baraka.test admin@baraka.test hr@baraka.test employee@baraka.test -> Baraka Foods
--   admin@kazi.test (platform_admin)  support@kazi.test (platform_support)
--
-- Passwords: none are stored in this file. If the setting kazi.seed_password
-- is present (e.g. PGOPTIONS='-c kazi.seed_password=...' psql -f seed.sql) and
-- pgcrypto is installed, every seeded user gets that password (bcrypt); on a
-- real Supabase stack an email identity is added so password sign-in works.
-- Otherwise users have no password (mint dev tokens with KAZI_DEV_JWT_PRIVATE_JWK).

-- users (dynamic: the real auth.users has more NOT NULL-ish columns than the shim's)
do $$
declare
  v_password text := nullif(current_setting('kazi.seed_password', true), '');
  v_has_crypt boolean := to_regprocedure('extensions.crypt(text, text)') is not null;
  v_real_gotrue boolean := exists (select 1 from information_schema.columns
                                   where table_schema = 'auth' and table_name = 'users' and column_name = 'confirmation_token');
  v_hash text;
  u record;
begin
  for u in
    select * from (values
      ('5eed0000-0000-4000-8000-00000000a001'::uuid, 'owner@acme.test', 'Achieng Otieno'),
      ('5eed0000-0000-4000-8000-00000000a002'::uuid, 'admin@acme.test', 'Brian Kamau'),
      ('5eed0000-0000-4000-8000-00000000a003'::uuid, 'hr@acme.test', 'Chebet Wanjiru'),
      ('5eed0000-0000-4000-8000-00000000a004'::uuid, 'employee@acme.test', 'David Mwangi'),
      ('5eed0000-0000-4000-8000-00000000b001'::uuid, 'owner@baraka.test', 'Esther Njeri'),
      ('5eed0000-0000-4000-8000-00000000b002'::uuid, 'admin@baraka.test', 'Felix Odhiambo'),
      ('5eed0000-0000-4000-8000-00000000b003'::uuid, 'hr@baraka.test', 'Grace Atieno'),
      ('5eed0000-0000-4000-8000-00000000b004'::uuid, 'employee@baraka.test', 'Hassan Ali'),
      ('5eed0000-0000-4000-8000-00000000c001'::uuid, 'admin@kazi.test', 'Kazi Platform Admin'),
      ('5eed0000-0000-4000-8000-00000000c002'::uuid, 'support@kazi.test', 'Kazi Support')
    ) as t (id, email, full_name)
  loop
    v_hash := null;
    if v_password is not null and v_has_crypt then
      -- dynamic: on a database without pgcrypto these names do not resolve
      execute $sql$select extensions.crypt($1, extensions.gen_salt('bf'))$sql$ into v_hash using v_password;
    end if;
    if v_real_gotrue then
      execute $sql$
        insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                                confirmation_token, recovery_token, email_change_token_new, email_change)
        values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, coalesce($3, ''), now(),
                '{"provider": "email", "providers": ["email"]}', jsonb_build_object('full_name', $4), now(), now(),
                '', '', '', '')
        on conflict (id) do nothing
      $sql$ using u.id, u.email, v_hash, u.full_name;
    else
      insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
      values (u.id, 'authenticated', 'authenticated', u.email, v_hash, now(),
              '{"provider": "email", "providers": ["email"]}', jsonb_build_object('full_name', u.full_name))
      on conflict (id) do nothing;
    end if;
    if to_regclass('auth.identities') is not null then
      execute $sql$
        insert into auth.identities (id, user_id, provider_id, provider, identity_data, last_sign_in_at, created_at, updated_at)
        values ($1, $1, $1::text, 'email',
                jsonb_build_object('sub', $1::text, 'email', $2, 'email_verified', true), now(), now(), now())
        on conflict do nothing
      $sql$ using u.id, u.email;
    end if;
  end loop;
end
$$;

-- tenants
insert into public.tenants (id, name, slug) values
  ('5eed0000-0000-4000-8000-0000000000a0', 'Acme Kenya Ltd', 'acme-kenya'),
  ('5eed0000-0000-4000-8000-0000000000b0', 'Baraka Foods', 'baraka-foods')
on conflict do nothing;

-- memberships (one per tenant role) and platform staff
insert into public.memberships (tenant_id, user_id, role) values
  ('5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a001', 'owner'),
  ('5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a002', 'admin'),
  ('5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a003', 'hr_manager'),
  ('5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a004', 'employee'),
  ('5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b001', 'owner'),
  ('5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b002', 'admin'),
  ('5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b003', 'hr_manager'),
  ('5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b004', 'employee')
on conflict do nothing;

insert into public.platform_staff (user_id, role) values
  ('5eed0000-0000-4000-8000-00000000c001', 'platform_admin'),
  ('5eed0000-0000-4000-8000-00000000c002', 'platform_support')
on conflict do nothing;

-- employees: business fields only, no protected field
insert into public.employees (id, tenant_id, user_id, employee_number, first_name, last_name, job_title, department,
                              employment_start_date, status) values
  ('5eed0000-0000-4000-8000-0000000e0a01', '5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a004',
   'ACME-001', 'David', 'Mwangi', 'Accounts Assistant', 'Finance', '2025-02-03', 'active'),
  ('5eed0000-0000-4000-8000-0000000e0a02', '5eed0000-0000-4000-8000-0000000000a0', null,
   'ACME-002', 'Faith', 'Wambui', 'Warehouse Supervisor', 'Operations', '2024-08-19', 'active'),
  ('5eed0000-0000-4000-8000-0000000e0a03', '5eed0000-0000-4000-8000-0000000000a0', null,
   'ACME-003', 'George', 'Kiprono', 'Driver', 'Logistics', '2023-11-01', 'on_leave'),
  ('5eed0000-0000-4000-8000-0000000e0b01', '5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b004',
   'BF-001', 'Hassan', 'Ali', 'Baker', 'Production', '2025-05-12', 'active'),
  ('5eed0000-0000-4000-8000-0000000e0b02', '5eed0000-0000-4000-8000-0000000000b0', null,
   'BF-002', 'Irene', 'Chepkoech', 'Quality Officer', 'Quality', '2024-01-15', 'active')
on conflict do nothing;

-- an onboarding draft for a new hire at Acme (the status history row is
-- written by the workflow trigger on first insert only)
insert into public.onboarding_cases (id, tenant_id, created_by, first_name, last_name, job_title, department,
                                     employment_start_date) values
  ('5eed0000-0000-4000-8000-0000000c0a01', '5eed0000-0000-4000-8000-0000000000a0', '5eed0000-0000-4000-8000-00000000a003',
   'Janet', 'Akinyi', 'Payroll Clerk', 'Finance', '2026-12-01')
on conflict do nothing;

-- a support ticket from Baraka Foods with one message
insert into public.support_tickets (id, tenant_id, opened_by, subject, priority) values
  ('5eed0000-0000-4000-8000-0000000f0b01', '5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-00000000b002',
   'Cannot export the October payroll', 'high')
on conflict do nothing;

insert into public.support_ticket_messages (id, tenant_id, ticket_id, author_id, body) values
  ('5eed0000-0000-4000-8000-0000000f1b01', '5eed0000-0000-4000-8000-0000000000b0', '5eed0000-0000-4000-8000-0000000f0b01',
   '5eed0000-0000-4000-8000-00000000b002', 'The export button spins and never finishes.')
on conflict do nothing;
