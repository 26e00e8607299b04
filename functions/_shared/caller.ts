// Running a request as the caller, with refusals audited; the permission
// check every API makes the same way.
//
// `asCaller` runs the work in one transaction as the verified user (RLS and
// the audit triggers see them). When the database or a check refuses (403)
// or a limit is hit (429), the transaction rolls back and a `denied` event
// naming the attempted action is written through the best-effort sink, with
// actor, ip, user agent and request id.

import type { Context } from "hono";
import { sql } from "kysely";
import { type AuditSink, eventFrom } from "./audit.ts";
import { type AppEnv, type RequestContext, requestContext } from "./context.ts";
import { type Db, type Trx, withUser } from "./db.ts";
import { errors, isAppError } from "./errors.ts";

export interface CallerDeps {
  db: Db;
  /** Best-effort sink: the refused request's own transaction rolls back. */
  audit: AuditSink;
}

export interface Attempt {
  /** The audit action of the attempt, e.g. "pii.reveal", "support.ticket_opened". */
  action: string;
  tenantId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  /** Safe facts only (ids, field names, roles): never a value or a message body. */
  details?: Record<string, unknown>;
}

export async function auditRefusal(deps: CallerDeps, ctx: RequestContext, attempt: Attempt, err: unknown) {
  if (!isAppError(err) || (err.code !== "forbidden" && err.code !== "rate_limited")) return;
  await deps.audit.record(eventFrom(ctx, {
    action: attempt.action,
    outcome: "denied",
    tenantId: attempt.tenantId ?? null,
    resourceType: attempt.resourceType ?? null,
    resourceId: attempt.resourceId ?? null,
    details: { ...attempt.details, refused: err.code, ...(err.details.reason ? { reason: err.details.reason } : {}) },
  }));
}

/** Runs fn in one transaction as the caller; audits a refusal. */
export async function asCaller<T>(
  deps: CallerDeps,
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

/** `private.has_permission(tenant, permission)` on live membership rows: the database decides. */
export async function hasPermission(trx: Trx, tenantId: string, permission: string): Promise<boolean> {
  const { rows: [r] } = await sql<{ ok: boolean }>`
    select private.has_permission(${tenantId}::uuid, ${permission}::text) as ok`.execute(trx);
  return r?.ok === true;
}

/** 403 unless the caller holds the permission in the tenant. */
export async function requirePermission(trx: Trx, tenantId: string, permission: string): Promise<void> {
  if (!(await hasPermission(trx, tenantId, permission))) {
    throw errors.forbidden("You do not have the permission this action needs in this tenant.", {
      permission,
      reason: "missing_permission",
    });
  }
}

/** 403 unless the caller holds the platform permission (live platform_staff rows; no tenant role carries one). */
export async function requirePlatformPermission(trx: Trx, permission: string, message: string): Promise<void> {
  const { rows: [r] } = await sql<{ ok: boolean }>`
    select private.has_platform_permission(${permission}::text) as ok`.execute(trx);
  if (r?.ok !== true) throw errors.forbidden(message, { permission, reason: "missing_permission" });
}

/** A sink for work that outlives the caller's transaction (rotation, shredding): its events still name the caller, ip and request. */
export function actingAuditSink(sink: AuditSink, ctx: RequestContext): AuditSink {
  return {
    record: (e) => sink.record({ ...eventFrom(ctx, e), actorId: ctx.caller?.userId ?? null, actorRole: ctx.caller?.role ?? null }),
  };
}
