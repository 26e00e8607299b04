// Running a request as the caller, with refusals audited, and the checks the
// support routes share: tenant permission, platform support role, and the
// active access grant an agent needs to touch a tenant's data.
//
// `asCaller` runs the work in one transaction as the verified user (RLS and
// the audit triggers see them). When the database or a check refuses (403),
// the transaction rolls back and a `denied` event naming the attempted action
// is written through the best-effort sink, with actor, ip, user agent and
// request id.

import type { Context } from "hono";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../_shared/audit.ts";
import { type AppEnv, type RequestContext, requestContext } from "../_shared/context.ts";
import { type Trx, withUser } from "../_shared/db.ts";
import { errors, isAppError } from "../_shared/errors.ts";
import type { SupportDeps } from "./deps.ts";

export interface Attempt {
  /** The audit action of the attempt, e.g. "support.ticket_opened". */
  action: string;
  tenantId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  /** Safe facts only (ids, statuses): never a message body or a protected value. */
  details?: Record<string, unknown>;
}

export async function auditRefusal(deps: SupportDeps, ctx: RequestContext, attempt: Attempt, err: unknown) {
  if (!isAppError(err) || err.code !== "forbidden") return;
  await deps.audit.record(eventFrom(ctx, {
    action: attempt.action,
    outcome: "denied",
    tenantId: attempt.tenantId ?? null,
    resourceType: attempt.resourceType ?? null,
    resourceId: attempt.resourceId ?? null,
    details: { ...attempt.details, refused: err.code, reason: err.details.reason ?? null },
  }));
}

/** Runs fn in one transaction as the caller; audits a refusal. */
export async function asCaller<T>(
  deps: SupportDeps,
  c: Context<AppEnv>,
  attempt: Attempt,
  fn: (trx: Trx, ctx: RequestContext) => Promise<T>,
): Promise<T> {
  const ctx = requestContext(c);
  try {
    return await withUser(deps.db, ctx, (trx) => fn(trx, ctx));
  } catch (err) {
    await auditRefusal(deps, ctx, attempt, err);
    throw err;
  }
}

/** The permission check the database makes (live membership rows): 403 when missing. */
export async function requirePermission(trx: Trx, tenantId: string, permission: string): Promise<void> {
  const { rows: [r] } = await sql<{ ok: boolean }>`
    select private.has_permission(${tenantId}::uuid, ${permission}::text) as ok`.execute(trx);
  if (!r?.ok) {
    throw errors.forbidden("You do not have the permission this action needs in this tenant.", {
      permission,
      reason: "missing_permission",
    });
  }
}

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
