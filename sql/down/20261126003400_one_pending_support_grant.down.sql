-- Reverts 20261126003400_one_pending_support_grant.sql. Requests the up
-- migration withdrew as duplicates stay withdrawn (data, not schema).
-- btree_gist is dropped without cascade: if anything else has come to rely
-- on it, this fails (and rolls back) rather than take that object with it.
alter table public.support_access_grants drop constraint if exists support_access_grants_one_pending_per_agent;
drop extension if exists btree_gist;
