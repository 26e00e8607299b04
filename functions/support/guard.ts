// The checks only the support routes make: the platform support role and the
// active access grant an agent needs to touch a tenant's data, and the audit
// row every use of a grant leaves.

import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../_shared/audit.ts";
import type { RequestContext } from "../_shared/context.ts";
import type { Trx } from "../_shared/db.ts";
import { errors } from "../_shared/errors.ts";

/** 403 unless the caller is platform support staff (live platform_staff row). */
export async function requireAgent(trx: Trx): Promise<void> {
  const { rows: [r] } = await sql<{ ok: boolean }>`select private.is_platform_support() as ok`.execute(trx);
  if (!r?.ok) {
    throw errors.forbidden("Only platform support agents can do this.", { reason: "not_platform_support" });
  }
}

export interface ActiveGrant {
  id: string;
  expires_at: Date;
}

/**
 * The caller's approved, unexpired, unrevoked grant for the tenant (the one
 * expiring last), or a 403. Read as the caller: RLS shows a grantee their own
 * grants only.
 */
export async function requireActiveGrant(trx: Trx, ctx: RequestContext, tenantId: string): Promise<ActiveGrant> {
  await requireAgent(trx);
  const grant = await trx.selectFrom("support_access_grants")
    .select(["id", "expires_at"])
    .where("tenant_id", "=", tenantId)
    .where("support_user_id", "=", ctx.caller!.userId)
    .where("status", "=", "approved")
    .where("revoked_at", "is", null)
    .where("expires_at", ">", sql<Date>`now()`)
    .orderBy("expires_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!grant) {
    throw errors.forbidden("You need an approved, unexpired access grant for this tenant.", {
      reason: "no_active_grant",
      tenant_id: tenantId,
    });
  }
  return grant as ActiveGrant;
}

/**
 * Records one use of a grant (`support.grant_used`) in the same transaction
 * as the work it describes, so the use and its audit row commit together.
 */
export async function recordGrantUse(
  trx: Trx,
  ctx: RequestContext,
  grant: ActiveGrant,
  tenantId: string,
  use: { operation: string; resourceType?: string; resourceId?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await recordInTransaction(trx, eventFrom(ctx, {
    action: "support.grant_used",
    tenantId,
    resourceType: "support_access_grant",
    resourceId: grant.id,
    details: {
      grant_id: grant.id,
      operation: use.operation,
      target_type: use.resourceType ?? null,
      target_id: use.resourceId ?? null,
      ...use.details,
    },
  }));
}
