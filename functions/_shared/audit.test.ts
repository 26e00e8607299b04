import assert from "node:assert/strict";
import { sql } from "kysely";
import {
  bestEffort,
  createDbAuditSink,
  createMemoryAuditSink,
  eventFrom,
  recordEventQuery,
  recordInTransaction,
} from "./audit.ts";
import { createDb, withUser } from "./db.ts";
import { NO_DB_MESSAGE, testDbConfig, testDbUrl } from "./test-support.ts";
import type { RequestContext } from "./context.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);

// Is the audit entry point (migration 20261126000100) in the test database?
let hasRecordEvent = false;
if (url) {
  const { db } = createDb(testDbConfig(url));
  try {
    const { rows } = await sql<
      { ok: boolean }
    >`select to_regprocedure('audit.record_event(text,text,uuid,text,text,jsonb,uuid,text,inet,text,text)') is not null as ok`
      .execute(db);
    hasRecordEvent = rows[0].ok;
  } finally {
    await db.destroy();
  }
  if (!hasRecordEvent) {
    console.warn("audit.record_event is not in the test database yet: skipping the audit tests that need it");
  }
}

const offline = createDb(testDbConfig("postgresql://nobody@127.0.0.1:1/none")).db;

Deno.test("record_event is called with named, typed arguments and every value bound", () => {
  const { sql: text, parameters } = recordEventQuery({
    action: "employee.pii_revealed",
    outcome: "success",
    tenantId: "00000000-0000-4000-8000-00000000000a",
    resourceType: "employee",
    resourceId: "42",
    details: { field: "kra_pin", reason: "payroll check" },
    actorId: "00000000-0000-4000-8000-00000000000b",
    actorRole: "authenticated",
    ip: "203.0.113.5",
    userAgent: "ua",
    requestId: "req-1",
  }).compile(offline);
  const compact = text.replace(/\s+/g, " ");
  assert.match(
    compact,
    /^select audit\.record_event\( action => \$1::text, outcome => \$2::text, tenant_id => \$3::uuid, resource_type => \$4::text, resource_id => \$5::text, details => \$6::jsonb, actor_id => \$7::uuid, actor_role => \$8::text, ip_address => \$9::inet, user_agent => \$10::text, request_id => \$11::text \) as id$/,
  );
  assert.deepEqual(parameters, [
    "employee.pii_revealed",
    "success",
    "00000000-0000-4000-8000-00000000000a",
    "employee",
    "42",
    '{"field":"kra_pin","reason":"payroll check"}',
    "00000000-0000-4000-8000-00000000000b",
    "authenticated",
    "203.0.113.5",
    "ua",
    "req-1",
  ]);
});

Deno.test("defaults: outcome success, details {}, nulls elsewhere", () => {
  const { parameters } = recordEventQuery({ action: "auth.token_rejected" }).compile(offline);
  assert.deepEqual(parameters, [
    "auth.token_rejected",
    "success",
    null,
    null,
    null,
    "{}",
    null,
    null,
    null,
    null,
    null,
  ]);
});

Deno.test("eventFrom fills actor, ip, user agent and request id from the request", () => {
  const ctx: RequestContext = {
    requestId: "req-xyz-0001",
    ip: "192.0.2.1",
    userAgent: "ua/1",
    caller: {
      userId: "u-1",
      role: "authenticated",
      claims: { sub: "u-1", role: "authenticated", iss: "i", aud: "a", exp: 1 },
    },
  };
  assert.deepEqual(eventFrom(ctx, { action: "a.b", outcome: "denied" }), {
    actorId: "u-1",
    actorRole: "authenticated",
    ip: "192.0.2.1",
    userAgent: "ua/1",
    requestId: "req-xyz-0001",
    action: "a.b",
    outcome: "denied",
  });
});

Deno.test("bestEffort logs a failed write (action and SQLSTATE only) and does not throw", async () => {
  const logs: string[] = [];
  const failing = {
    record: () =>
      Promise.reject(Object.assign(new Error("insert into audit.events values ('secret')"), { code: "42501" })),
  };
  await bestEffort(failing, (m) => logs.push(m)).record({ action: "auth.token_rejected", requestId: "r1" });
  assert.equal(logs.length, 1);
  assert.deepEqual(JSON.parse(logs[0]), {
    level: "error",
    msg: "audit write failed",
    action: "auth.token_rejected",
    request_id: "r1",
    sqlstate: "42501",
  });
  const mem = createMemoryAuditSink();
  await bestEffort(mem).record({ action: "x" });
  assert.equal(mem.events.length, 1);
});

Deno.test({
  name: "the DB sink writes one audit row through audit.record_event as service_role",
  ignore: !url || !hasRecordEvent,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const requestId = `req-audit-${crypto.randomUUID()}`;
      await createDbAuditSink(db).record({
        action: "auth.token_rejected",
        outcome: "denied",
        ip: "203.0.113.9",
        userAgent: "curl/8",
        requestId,
        details: { reason: "expired" },
      });
      const { rows } = await sql<
        { n: number }
      >`select count(*)::int as n from audit.events where request_id = ${requestId}`.execute(db);
      assert.equal(rows[0].n, 1);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "recordInTransaction writes inside a user's transaction and restores the role",
  ignore: !url || !hasRecordEvent,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const sub = crypto.randomUUID();
      const ctx: RequestContext = {
        requestId: `req-audit-${crypto.randomUUID()}`,
        ip: null,
        userAgent: null,
        caller: {
          userId: sub,
          role: "authenticated",
          claims: { sub, role: "authenticated", iss: "i", aud: "authenticated", exp: 9999999999 },
        },
      };
      const role = await withUser(db, ctx, async (trx) => {
        await recordInTransaction(trx, eventFrom(ctx, { action: "test.event" }));
        return (await sql<{ cu: string }>`select current_user as cu`.execute(trx)).rows[0].cu;
      });
      assert.equal(role, "authenticated");
      const { rows } = await sql<
        { n: number }
      >`select count(*)::int as n from audit.events where request_id = ${ctx.requestId}`.execute(db);
      assert.equal(rows[0].n, 1);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "a request without a token leaves an auth.token_rejected row with ip, user agent and request id",
  ignore: !url || !hasRecordEvent,
  async fn() {
    const { createFunctionApp } = await import("./function-app.ts");
    const { createVerifier } = await import("./auth.ts");
    const { makeTestKeys } = await import("./test-support.ts");
    const { db } = createDb(testDbConfig(url!));
    try {
      const verifier = createVerifier((await makeTestKeys()).auth);
      const app = createFunctionApp("audited", {
        http: { allowedOrigins: [], bodyLimitBytes: 1024 },
        verifier,
        audit: createDbAuditSink(db),
      });
      const requestId = `req-audit-${crypto.randomUUID()}`;
      const res = await app.request("/audited/employees", {
        headers: {
          "x-request-id": requestId,
          "x-forwarded-for": "203.0.113.77",
          "user-agent": "attacker/1.0",
          authorization: "Bearer not.a.token",
        },
      });
      assert.equal(res.status, 401);
      const { rows } = await sql<
        { action: string; outcome: string; ip: string; ua: string; reason: string; actor: string | null }
      >`
        select action, outcome, host(ip_address) as ip, user_agent as ua, details ->> 'reason' as reason, actor_id::text as actor
        from audit.events where request_id = ${requestId}`.execute(db);
      assert.deepEqual(rows, [{
        action: "auth.token_rejected",
        outcome: "denied",
        ip: "203.0.113.77",
        ua: "attacker/1.0",
        reason: "malformed_token",
        actor: null,
      }]);
    } finally {
      await db.destroy();
    }
  },
});
