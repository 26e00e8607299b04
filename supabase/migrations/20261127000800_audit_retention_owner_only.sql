-- The audit retention purge becomes the database owner's alone. service_role
-- could run audit.drop_partitions_older_than with its own interval (one
-- month at least) and so drop every audit row older than a month: the key
-- every edge function holds could erase the trail's history. The retention
-- setting itself was already out of its reach. The purge is a scheduled job
-- (pg_cron runs it as the owner, docs/runbooks.md); nothing in the API calls it.
--
-- Grants: execute on audit.drop_partitions_older_than(interval) revoked from service_role

-- grants
revoke execute on function audit.drop_partitions_older_than(interval) from service_role;
