-- Reverts 20261126000100_audit_core.sql. Destroys the audit trail: run only on
-- development databases. Later migrations' down scripts have already untracked
-- their tables; the final `drop schema` (no cascade) fails if anything remains.
drop function if exists audit.verify_chain(uuid);
drop function if exists audit.lane_end_fault(audit.chain_heads, bigint, bytea);
drop table if exists audit.events;            -- with every partition
drop table if exists audit.chain_heads;
drop table if exists audit.settings;
drop function if exists audit.drop_partitions_older_than(interval);
drop function if exists audit.ensure_partitions(integer);
drop function if exists audit.track(regclass);
drop function if exists audit.untrack(regclass);
drop function if exists audit.row_change();
drop function if exists audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text);
drop function if exists audit.flush_chain_head();
drop function if exists audit.append_event(uuid, uuid, text, text, text, text, inet, text, text, text, text[], jsonb, jsonb, jsonb);
drop function if exists audit.chain_commit(uuid, integer, bigint, bytea);
drop function if exists audit.chain_next(uuid);
drop function if exists audit.event_hash(bigint, timestamptz, uuid, uuid, text, text, text, text, inet, text, text, text, text[], jsonb, jsonb, jsonb, integer, bigint, integer);
drop function if exists audit.request_context();
drop function if exists audit.safe_inet(text);
drop function if exists audit.redact(jsonb);
drop function if exists audit.refuse_change();
drop type if exists audit.chain_link;
drop type if exists audit.chain_fault;
drop schema if exists audit;
