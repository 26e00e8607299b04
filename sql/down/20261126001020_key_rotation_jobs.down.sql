-- Reverts 20261126001020_key_rotation_jobs.sql.
drop table if exists private.key_rotation_jobs;
