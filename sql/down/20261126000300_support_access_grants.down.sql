-- Reverts 20261126000300_support_access_grants.sql.
drop table if exists public.support_access_grants;
drop function if exists private.enforce_support_access_grant_workflow();
