// HTTP helpers for the attack suites: a call tagged with its own request id
// (so the audit rows it caused can be found exactly), and the envelope check.
import assert from "node:assert/strict";
import { sql } from "kysely";
import type { AnyDb } from "../../integration/_support/db.ts";
import { callFunction, type CallOptions, type CallResult } from "../../integration/_support/functions.ts";

export interface Envelope {
  error: { code: string; message: string; details: Record<string, unknown>; request_id: string | null };
}

export type Tagged<T = unknown> = CallResult<T> & { requestId: string };

export async function tagged<T = unknown>(fn: string, path: string, o: CallOptions = {}): Promise<Tagged<T>> {
  const requestId = `sec-${crypto.randomUUID()}`;
  const res = await callFunction<T>(fn, path, { ...o, headers: { ...o.headers, "x-request-id": requestId } });
  return { ...res, requestId };
}

/** The body is the one error envelope, carrying this request's id. */
export function assertEnvelope(res: Tagged<unknown>, what: string): asserts res is Tagged<Envelope> {
  const body = res.body as Envelope;
  assert.ok(body && typeof body === "object" && body.error, `${what}: not an envelope: ${JSON.stringify(res.body)?.slice(0, 300)}`);
  assert.deepEqual(Object.keys(body).sort(), ["error"], `${what}: only "error" at the top`);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "details", "message", "request_id"], `${what}: envelope keys`);
  assert.equal(typeof body.error.code, "string", what);
  assert.equal(typeof body.error.message, "string", what);
  assert.equal(body.error.request_id, res.requestId, `${what}: envelope carries the request id`);
}

export interface AuditRow {
  action: string;
  outcome: string;
  tenant_id: string | null;
  actor_id: string | null;
  actor_role: string | null;
  details: Record<string, unknown>;
}

/** Audit rows a request caused (by its request id), oldest first. */
export async function auditOf(db: AnyDb, requestId: string): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`select action, outcome, tenant_id, actor_id, actor_role, details
    from audit.events where request_id = ${requestId} order by id`.execute(db);
  return rows;
}
