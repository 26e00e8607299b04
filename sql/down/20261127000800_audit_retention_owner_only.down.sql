-- Reverts 20261127000800_audit_retention_owner_only.sql: service_role may run
-- the retention purge again, as 20261126000100_audit_core.sql granted.

-- grants
grant execute on function audit.drop_partitions_older_than(interval) to service_role;
