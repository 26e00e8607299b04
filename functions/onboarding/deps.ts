// What the onboarding routes receive from create-app.ts (built once at boot).

import { OpenAPIHono } from "@hono/zod-openapi";
import { type AuditEvent, type AuditSink, eventFrom } from "../_shared/audit.ts";
import type { AppEnv, RequestContext } from "../_shared/context.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import type { Db } from "../_shared/db.ts";
import { AppError, errors } from "../_shared/errors.ts";
import type { IdempotencyStore } from "../_shared/idempotency.ts";
import { validationHook } from "../_shared/validation.ts";

export interface RouteDeps {
  db: Db;
  vault: PiiVault;
  /** Best-effort sink for refusals (their request is rolled back, the event is kept). */
  audit: AuditSink;
  idempotency: IdempotencyStore;
}

export function router() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/**
 * A refused action: an AppError (so withUser passes it through unchanged)
 * carrying the audit event to record once the transaction is over.
 */
export class Refused extends AppError {
  readonly event: Omit<AuditEvent, "outcome">;
  constructor(event: Omit<AuditEvent, "outcome">, error: AppError = errors.forbidden()) {
    super(error.code, error.message, error.details, { headers: error.headers });
    this.event = event;
  }
}

/**
 * Runs work; a Refused error thrown inside it is recorded (outcome denied)
 * through the sink, outside any transaction (the refused work is rolled back,
 * the event is kept), then rethrown.
 */
export async function auditingRefusals<T>(deps: RouteDeps, ctx: RequestContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Refused) await deps.audit.record(eventFrom(ctx, { ...err.event, outcome: "denied" }));
    throw err;
  }
}

export const NO_STORE = { "cache-control": "no-store" } as const;
