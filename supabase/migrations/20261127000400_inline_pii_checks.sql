-- The shape checks on protected columns (20261126001010) without a function
-- call per value: each constraint now spells out what
-- private.is_pii_ciphertext / private.is_blind_index test. Those functions
-- carry `set search_path = ''` (as every function here must), which keeps
-- Postgres from inlining them: every checked value went through the
-- function manager and a SQL function's parse, four to eight times per row
-- written (a sixth of the database's work in saving onboarding details,
-- bench/api.bench.ts). Same names, same rule; the functions stay for
-- callers that want the test by name.
--
-- Tables:    public.employees, public.onboarding_cases (constraints only)

-- tables
alter table public.employees
  drop constraint employees_kra_pin_ciphertext_is_ciphertext,
  drop constraint employees_national_id_ciphertext_is_ciphertext,
  drop constraint employees_phone_ciphertext_is_ciphertext,
  drop constraint employees_bank_account_ciphertext_is_ciphertext,
  drop constraint employees_kra_pin_blind_index_is_blind_index,
  drop constraint employees_national_id_blind_index_is_blind_index,
  drop constraint employees_phone_blind_index_is_blind_index,
  drop constraint employees_bank_account_blind_index_is_blind_index,
  -- format byte 1, u32 key version, 12-byte IV, at least one byte, 16-byte tag
  add constraint employees_kra_pin_ciphertext_is_ciphertext
    check (octet_length(kra_pin_ciphertext) >= 34 and get_byte(kra_pin_ciphertext, 0) = 1),
  add constraint employees_national_id_ciphertext_is_ciphertext
    check (octet_length(national_id_ciphertext) >= 34 and get_byte(national_id_ciphertext, 0) = 1),
  add constraint employees_phone_ciphertext_is_ciphertext
    check (octet_length(phone_ciphertext) >= 34 and get_byte(phone_ciphertext, 0) = 1),
  add constraint employees_bank_account_ciphertext_is_ciphertext
    check (octet_length(bank_account_ciphertext) >= 34 and get_byte(bank_account_ciphertext, 0) = 1),
  -- HMAC-SHA-256: 32 bytes
  add constraint employees_kra_pin_blind_index_is_blind_index
    check (octet_length(kra_pin_blind_index) = 32),
  add constraint employees_national_id_blind_index_is_blind_index
    check (octet_length(national_id_blind_index) = 32),
  add constraint employees_phone_blind_index_is_blind_index
    check (octet_length(phone_blind_index) = 32),
  add constraint employees_bank_account_blind_index_is_blind_index
    check (octet_length(bank_account_blind_index) = 32);

alter table public.onboarding_cases
  drop constraint onboarding_cases_kra_pin_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_national_id_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_phone_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_bank_account_ciphertext_is_ciphertext,
  add constraint onboarding_cases_kra_pin_ciphertext_is_ciphertext
    check (octet_length(kra_pin_ciphertext) >= 34 and get_byte(kra_pin_ciphertext, 0) = 1),
  add constraint onboarding_cases_national_id_ciphertext_is_ciphertext
    check (octet_length(national_id_ciphertext) >= 34 and get_byte(national_id_ciphertext, 0) = 1),
  add constraint onboarding_cases_phone_ciphertext_is_ciphertext
    check (octet_length(phone_ciphertext) >= 34 and get_byte(phone_ciphertext, 0) = 1),
  add constraint onboarding_cases_bank_account_ciphertext_is_ciphertext
    check (octet_length(bank_account_ciphertext) >= 34 and get_byte(bank_account_ciphertext, 0) = 1);
