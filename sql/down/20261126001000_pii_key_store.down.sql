-- Reverts 20261126001000_pii_key_store.sql.
drop function if exists private.is_blind_index(bytea);
drop function if exists private.is_pii_ciphertext(bytea);
drop table if exists private.tenant_data_keys;
