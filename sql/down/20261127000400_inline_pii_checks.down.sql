-- Reverts 20261127000400_inline_pii_checks.sql: the protected columns' shape
-- checks call private.is_pii_ciphertext / private.is_blind_index again, as
-- 20261126001010_pii_column_checks.sql made them (same names).

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
  add constraint employees_kra_pin_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(kra_pin_ciphertext)),
  add constraint employees_national_id_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(national_id_ciphertext)),
  add constraint employees_phone_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(phone_ciphertext)),
  add constraint employees_bank_account_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(bank_account_ciphertext)),
  add constraint employees_kra_pin_blind_index_is_blind_index
    check (private.is_blind_index(kra_pin_blind_index)),
  add constraint employees_national_id_blind_index_is_blind_index
    check (private.is_blind_index(national_id_blind_index)),
  add constraint employees_phone_blind_index_is_blind_index
    check (private.is_blind_index(phone_blind_index)),
  add constraint employees_bank_account_blind_index_is_blind_index
    check (private.is_blind_index(bank_account_blind_index));

alter table public.onboarding_cases
  drop constraint onboarding_cases_kra_pin_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_national_id_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_phone_ciphertext_is_ciphertext,
  drop constraint onboarding_cases_bank_account_ciphertext_is_ciphertext,
  add constraint onboarding_cases_kra_pin_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(kra_pin_ciphertext)),
  add constraint onboarding_cases_national_id_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(national_id_ciphertext)),
  add constraint onboarding_cases_phone_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(phone_ciphertext)),
  add constraint onboarding_cases_bank_account_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(bank_account_ciphertext));
