-- Reverts 20261126001100_idempotency.sql (the table's policies, trigger,
-- index and grants go with it).
drop table if exists private.idempotency_keys;
