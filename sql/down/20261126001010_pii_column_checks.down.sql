-- Reverts 20261126001010_pii_column_checks.sql.
alter table public.onboarding_cases
  drop constraint if exists onboarding_cases_bank_account_ciphertext_is_ciphertext,
  drop constraint if exists onboarding_cases_phone_ciphertext_is_ciphertext,
  drop constraint if exists onboarding_cases_national_id_ciphertext_is_ciphertext,
  drop constraint if exists onboarding_cases_kra_pin_ciphertext_is_ciphertext;

alter table public.employees
  drop constraint if exists employees_bank_account_has_blind_index,
  drop constraint if exists employees_phone_has_blind_index,
  drop constraint if exists employees_national_id_has_blind_index,
  drop constraint if exists employees_kra_pin_has_blind_index,
  drop constraint if exists employees_bank_account_blind_index_is_blind_index,
  drop constraint if exists employees_phone_blind_index_is_blind_index,
  drop constraint if exists employees_national_id_blind_index_is_blind_index,
  drop constraint if exists employees_kra_pin_blind_index_is_blind_index,
  drop constraint if exists employees_bank_account_ciphertext_is_ciphertext,
  drop constraint if exists employees_phone_ciphertext_is_ciphertext,
  drop constraint if exists employees_national_id_ciphertext_is_ciphertext,
  drop constraint if exists employees_kra_pin_ciphertext_is_ciphertext;
