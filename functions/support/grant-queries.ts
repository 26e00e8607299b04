// Reading access grants as the caller (RLS: a grantee sees their own grants,
// a tenant approver their tenant's). `state` is derived, so it is filtered
// here in one place for the agent and the tenant routes alike.
import { sql } from "kysely";
import type { Trx } from "../_shared/db.ts";
import { GRANT_COLUMNS, GRANT_STATES, type GrantRow } from "./schemas.ts";

export type GrantState = (typeof GRANT_STATES)[number];

export function selectGrants(trx: Trx) {
  return trx.selectFrom("support_access_grants").select([...GRANT_COLUMNS]);
}

type GrantQuery = ReturnType<typeof selectGrants>;

export function whereState(query: GrantQuery, state: GrantState): GrantQuery {
  switch (state) {
    case "revoked":
      return query.where("revoked_at", "is not", null);
    case "denied":
      return query.where("revoked_at", "is", null).where("status", "=", "denied");
    case "expired":
      return query.where("revoked_at", "is", null).where("status", "<>", "denied")
        .where("expires_at", "<=", sql<Date>`now()`);
    case "active":
      return query.where("revoked_at", "is", null).where("status", "=", "approved")
        .where("expires_at", ">", sql<Date>`now()`);
    case "requested":
      return query.where("revoked_at", "is", null).where("status", "=", "requested")
        .where("expires_at", ">", sql<Date>`now()`);
  }
}

/** Newest first; at most 200 (grants are few per tenant and agent). */
export async function listGrants(
  trx: Trx,
  filter: { tenantId?: string; supportUserId?: string; state?: GrantState },
): Promise<GrantRow[]> {
  let query = selectGrants(trx);
  if (filter.tenantId) query = query.where("tenant_id", "=", filter.tenantId);
  if (filter.supportUserId) query = query.where("support_user_id", "=", filter.supportUserId);
  if (filter.state) query = whereState(query, filter.state);
  return await query.orderBy("requested_at", "desc").orderBy("id", "desc").limit(200).execute() as GrantRow[];
}
