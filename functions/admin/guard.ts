// Running a request as the caller, with refusals audited.
//
// `asCaller` runs the work in one transaction as the verified user (RLS and
// the audit triggers see them). When the database or a permission check
// refuses (403) or a limit is hit (429), the transaction rolls back and a
// `denied` event naming the attempted action is written through the
// best-effort sink, with actor, ip, user agent and request id.

import type { Context } from "hono";
import { sql } from "kysely";
import { eventFrom } from "../_shared/audit.ts";
import { type AppEnv, type RequestContext, requestContext } from "../_shared/context.ts";
import { type Trx, withUser } from "../_shared/db.ts";
import { errors, isAppError } from "../_shared/errors.ts";
import type { AdminDeps } from "./deps.ts";

export interface Attempt {
  /** The audit action of the attempt, e.g. "pii.reveal", "member.role_changed". */
  action: string;
  tenantId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  /** Safe facts only (field names, roles): never a value. */
  details?: Record<string, unknown>;
}

export async function auditRefusal(deps: AdminDeps, ctx: RequestContext, attempt: Attempt, err: unknown) {
  if (!isAppError(err) || (err.code !== "forbidden" && err.code !== "rate_limited")) return;
  await deps.audit.record(eventFrom(ctx, {
    action: attempt.action,
    outcome: "denied",
    tenantId: attempt.tenantId ?? null,
    resourceType: attempt.resourceType ?? null,
    resourceId: attempt.resourceId ?? null,
    details: { ...attempt.details, refused: err.code },
  }));
}

/** Runs fn in one transaction as the caller; audits a refusal. */
export async function asCaller<T>(
  deps: AdminDeps,
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
    throw errors.forbidden("You do not have the permission this action needs in this tenant.", { permission });
  }
}
