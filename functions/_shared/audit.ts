// Security events from the functions go through one SQL entry point:
//   audit.record_event(action, outcome, tenant_id, resource_type, resource_id,
//                      details, actor_id, actor_role, ip_address, user_agent,
//                      request_id) returns bigint
// executable by service_role only (migration 20261126000100). It is called
// with named arguments, so the call keeps working if the function gains
// optional parameters.
//
// `details` must never hold a token, a key, a plaintext protected value or
// its ciphertext: say *that* a field was revealed, not *what* it was.

import { type Kysely, sql, type Transaction } from "kysely";
import type { RequestContext } from "./context.ts";
import type { Database } from "./database-types.ts";

export type AuditOutcome = "success" | "denied" | "error";

export interface AuditEvent {
  /** Dotted verb, e.g. "auth.token_rejected", "employee.pii_revealed". */
  action: string;
  outcome?: AuditOutcome;
  tenantId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  actorId?: string | null;
  actorRole?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** Where security events go. Functions receive one by injection. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

/** Fills actor, ip, user agent and request id from the request context. */
export function eventFrom(ctx: RequestContext, event: AuditEvent): AuditEvent {
  return {
    actorId: ctx.caller?.userId ?? null,
    actorRole: ctx.caller?.role ?? null,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    ...event,
  };
}

/** The `select audit.record_event(...)` query; `.compile()` shows its shape. */
export function recordEventQuery(event: AuditEvent) {
  return sql<{ id: string }>`select audit.record_event(
    action => ${event.action}::text,
    outcome => ${event.outcome ?? "success"}::text,
    tenant_id => ${event.tenantId ?? null}::uuid,
    resource_type => ${event.resourceType ?? null}::text,
    resource_id => ${event.resourceId ?? null}::text,
    details => ${JSON.stringify(event.details ?? {})}::jsonb,
    actor_id => ${event.actorId ?? null}::uuid,
    actor_role => ${event.actorRole ?? null}::text,
    ip_address => ${event.ip ?? null}::inet,
    user_agent => ${event.userAgent ?? null}::text,
    request_id => ${event.requestId ?? null}::text
  ) as id`;
}

/**
 * Records an event inside an existing transaction, so the event and the work
 * it describes commit or roll back together (use it for PII reveals and admin
 * actions). The transaction's role is switched to service_role for this one
 * statement and then restored.
 */
export async function recordInTransaction(trx: Transaction<Database>, event: AuditEvent): Promise<string> {
  const { rows: [prev] } = await sql<{ role: string }>`select current_setting('role') as role`.execute(trx);
  await sql`select set_config('role', 'service_role', true)`.execute(trx);
  const { rows } = await recordEventQuery(event).execute(trx);
  await sql`select set_config('role', ${prev?.role && prev.role !== "none" ? prev.role : "none"}, true)`.execute(trx);
  return rows[0].id;
}

/**
 * Audit sink writing through its own short service-role transaction. Used for
 * events that must be kept even when the request fails (rejected tokens,
 * refused actions).
 */
export function createDbAuditSink(db: Kysely<Database>): AuditSink {
  return {
    async record(event) {
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('role', 'service_role', true)`.execute(trx);
        await recordEventQuery(event).execute(trx);
      });
    },
  };
}

/** In-memory sink for unit tests and tools. */
export function createMemoryAuditSink(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return {
    events,
    record(event) {
      events.push(structuredClone(event));
      return Promise.resolve();
    },
  };
}

/**
 * Wraps a sink so a failing audit write is logged (action and error class
 * only) and does not turn a refusal into a 500. Use only for events whose
 * request is refused anyway; a reveal must use recordInTransaction instead.
 */
export function bestEffort(sink: AuditSink, log: (msg: string) => void = console.error): AuditSink {
  return {
    async record(event) {
      try {
        await sink.record(event);
      } catch (err) {
        const sqlstate = (err as { code?: unknown })?.code;
        log(JSON.stringify({
          level: "error",
          msg: "audit write failed",
          action: event.action,
          request_id: event.requestId ?? null,
          sqlstate: typeof sqlstate === "string" ? sqlstate : undefined,
        }));
      }
    },
  };
}
