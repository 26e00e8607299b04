-- Postgres itself refuses plaintext in protected columns: every ciphertext
-- column must have the PII ciphertext shape, every blind index 32 bytes.
--
-- Tables:    public.employees, public.onboarding_cases (constraints only)
-- Functions: uses private.is_pii_ciphertext(bytea), private.is_blind_index(bytea)

-- tables
alter table public.employees
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
    check (private.is_blind_index(bank_account_blind_index)),
  -- a value and its index come and go together (erasure clears both)
  add constraint employees_kra_pin_has_blind_index
    check ((kra_pin_ciphertext is null) = (kra_pin_blind_index is null)),
  add constraint employees_national_id_has_blind_index
    check ((national_id_ciphertext is null) = (national_id_blind_index is null)),
  add constraint employees_phone_has_blind_index
    check ((phone_ciphertext is null) = (phone_blind_index is null)),
  add constraint employees_bank_account_has_blind_index
    check ((bank_account_ciphertext is null) = (bank_account_blind_index is null));

alter table public.onboarding_cases
  add constraint onboarding_cases_kra_pin_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(kra_pin_ciphertext)),
  add constraint onboarding_cases_national_id_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(national_id_ciphertext)),
  add constraint onboarding_cases_phone_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(phone_ciphertext)),
  add constraint onboarding_cases_bank_account_ciphertext_is_ciphertext
    check (private.is_pii_ciphertext(bank_account_ciphertext));
