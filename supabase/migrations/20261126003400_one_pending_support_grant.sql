-- One pending support access request per agent and tenant, enforced by the
-- database. The support function checks for an open request under an
-- advisory lock, but a request inserted another way (PostgREST: the insert
-- policy lets an agent request access for themselves) skipped that lock, so
-- two concurrent requests could both be stored as pending.
--
-- "Pending" is what the API calls the `requested` state: status 'requested',
-- not revoked (withdrawn) and not yet expired. Expiry depends on the clock, and
-- an index predicate cannot read it (now() is not immutable), so a partial
-- unique index on (support_user_id, tenant_id) would keep an expired,
-- never-decided request blocking its agent for good. A partial exclusion
-- constraint says exactly "no two pending requests of one agent for one tenant
-- are open at the same moment": their [requested_at, expires_at) windows may
-- not overlap. A new request starts now(), so an expired one never conflicts;
-- a denied or withdrawn one leaves the predicate. Equality on uuid inside a
-- GiST index needs btree_gist (in `extensions`, where Supabase keeps them).
--
-- Extensions: btree_gist (schema extensions; the down script drops it)
-- Constraints: support_access_grants_one_pending_per_agent (exclusion, partial)

create extension if not exists btree_gist with schema extensions;

-- Requests that already overlap (made by the race this closes) would stop the
-- constraint from being added: keep each agent's earliest open request for a
-- tenant and withdraw the later ones (a trusted path: the workflow trigger
-- leaves the migration's own update alone; the audit trigger records it).
update public.support_access_grants g
set revoked_at = now()
where g.status = 'requested' and g.revoked_at is null
  and exists (
    select 1 from public.support_access_grants e
    where e.support_user_id = g.support_user_id and e.tenant_id = g.tenant_id
      and e.status = 'requested' and e.revoked_at is null
      and (e.requested_at, e.id) < (g.requested_at, g.id)
      and pg_catalog.tstzrange(e.requested_at, e.expires_at) operator(pg_catalog.&&)
          pg_catalog.tstzrange(g.requested_at, g.expires_at));

alter table public.support_access_grants
  add constraint support_access_grants_one_pending_per_agent
  exclude using gist (
    support_user_id with operator(pg_catalog.=),
    tenant_id with operator(pg_catalog.=),
    pg_catalog.tstzrange(requested_at, expires_at) with operator(pg_catalog.&&)
  ) where (status = 'requested' and revoked_at is null);
