// The admin app driven with app.request() and injected deps: validation,
// authentication and rate limiting without a database; with KAZI_TEST_DB_URL
// the masked list and an audited reveal against the real schema.
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { sql } from "kysely";
import { createMemoryAuditSink } from "../_shared/audit.ts";
import { createVerifier } from "../_shared/auth.ts";
import type { AnyDb } from "../_shared/crypto/data-keys.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { testConfig } from "../_shared/crypto/test-support.ts";
import { createDb, type Db } from "../_shared/db.ts";
import { createMemoryIdempotencyStore } from "../_shared/idempotency.ts";
import { createDbRateLimiter, createMemoryRateLimiter } from "../_shared/rate-limit.ts";
import { makeTestKeys, mintEs256, NO_DB_MESSAGE, testDbConfig, testDbUrl } from "../_shared/test-support.ts";
import { createAdminApp } from "./create-app.ts";
import type { AdminDeps } from "./deps.ts";
import { auditEvents, seedTenant } from "./test-fixtures.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);
const keys = await makeTestKeys();
const http = { allowedOrigins: ["https://admin.kazi.example"], bodyLimitBytes: 65536 };

function appWith(db: Db, over: Partial<AdminDeps> = {}) {
  const audit = createMemoryAuditSink();
  const deps: AdminDeps = {
    http,
    verifier: createVerifier(keys.auth),
    audit,
    db,
    vault: PiiVault.create(db as unknown as AnyDb, testConfig()),
    rateLimiter: createMemoryRateLimiter(),
    idempotency: createMemoryIdempotencyStore(),
    ...over,
  };
  return { app: createAdminApp(deps), audit, deps };
}

const auth = async (sub: string) => ({ authorization: `Bearer ${await mintEs256(keys, { claims: { sub } })}` });
const json = (body: unknown, headers: Record<string, string>) => ({
  method: "POST",
  headers: { ...headers, "content-type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("no token → 401 on admin paths (audited); the OpenAPI document is public and valid", async () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none", { connectTimeoutMs: 300 }));
  try {
    const { app, audit } = appWith(db);
    const t = crypto.randomUUID();
    for (const path of [`/admin/tenants/${t}/employees`, `/admin/tenants/${t}/audit-events`, "/admin/nope"]) {
      const res = await app.request(path);
      assert.equal(res.status, 401, path);
      assert.equal((await res.json()).error.code, "unauthorized");
    }
    assert.equal(audit.events.filter((e) => e.action === "auth.token_rejected").length, 3);
    const doc = await (await app.request("/admin/openapi.json")).json();
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.equal(Object.keys(doc.paths).length, 14);
  } finally {
    await db.destroy();
  }
});

Deno.test("input is validated before anything runs: bad ids, missing reason, unknown field → 400 envelopes", async () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none", { connectTimeoutMs: 300 }));
  try {
    const { app } = appWith(db);
    const h = await auth(crypto.randomUUID());
    const t = crypto.randomUUID();
    const e = crypto.randomUUID();
    const bad = await app.request(`/admin/tenants/xyz/employees/${e}`, { headers: h });
    assert.equal(bad.status, 400);
    assert.deepEqual((await bad.json()).error.details.fields, { tenantId: "Invalid tenant id" });
    const noReason = await app.request(`/admin/tenants/${t}/employees/${e}/reveal`, json({ field: "kra_pin" }, h));
    assert.equal(noReason.status, 400);
    assert.ok((await noReason.json()).error.details.fields.reason);
    const shortReason = await app.request(`/admin/tenants/${t}/employees/${e}/reveal`, json({ field: "kra_pin", reason: "x" }, h));
    assert.equal(shortReason.status, 400);
    const lookup = await app.request(`/admin/tenants/${t}/employees/lookup`, json({ field: "phone", value: "12" }, h));
    assert.equal(lookup.status, 400);
    assert.ok(!(await lookup.text()).includes('"12"'), "the value is not echoed");
    const notJson = await app.request(`/admin/tenants`, { method: "POST", headers: { ...h, "content-type": "application/json" }, body: "{" });
    assert.equal(notJson.status, 400);
  } finally {
    await db.destroy();
  }
});

Deno.test("reveal is rate-limited before the database is touched; the refusal is audited with the field", async () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none", { connectTimeoutMs: 300 }));
  try {
    const { app, audit } = appWith(db, { revealLimit: { limit: 1, windowSeconds: 60 } });
    const user = crypto.randomUUID();
    const h = await auth(user);
    const path = `/admin/tenants/${crypto.randomUUID()}/employees/${crypto.randomUUID()}/reveal`;
    const first = await app.request(path, json({ field: "phone", reason: "checking contact" }, h));
    assert.equal(first.status, 503, "first attempt passes the limiter and finds the database down");
    assert.ok(!(await first.text()).includes("127.0.0.1"), "no internals");
    const second = await app.request(path, json({ field: "phone", reason: "checking contact" }, h));
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get("retry-after")) >= 1);
    const ev = audit.events.find((e) => e.action === "pii.reveal" && e.outcome === "denied");
    assert.deepEqual(ev?.details, { field: "phone", refused: "rate_limited" });
    assert.equal(ev?.actorId, user);
  } finally {
    await db.destroy();
  }
});

Deno.test({
  name: "with the database: masked list for HR, an audited reveal, 403 for an employee (audited)",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const { app, audit, deps } = appWith(db, { rateLimiter: createDbRateLimiter(db) });
      const t = await seedTenant(db as unknown as AnyDb, deps.vault, 2);
      const hr = await auth(t.users.hr_manager.id);
      const list = await app.request(`/admin/tenants/${t.tenantId}/employees`, { headers: hr });
      assert.equal(list.status, 200);
      const body = await list.json();
      assert.equal(body.items.length, 2);
      const text = JSON.stringify(body);
      for (const e of t.employees) for (const v of Object.values(e.pii)) assert.ok(!text.includes(v));
      const e = t.employees[0];
      const reveal = await app.request(`/admin/tenants/${t.tenantId}/employees/${e.id}/reveal`,
        json({ field: "national_id", reason: "unit test reveal" }, hr));
      assert.equal(reveal.status, 200);
      assert.equal((await reveal.json()).value, e.pii.national_id);
      const rows = await auditEvents(db as unknown as AnyDb, { tenantId: t.tenantId, action: "pii.reveal", resourceId: e.id });
      assert.equal(rows.length, 1, "recorded in the reveal's own transaction");
      assert.deepEqual(rows[0].details, { field: "national_id", reason: "unit test reveal" });
      const denied = await app.request(`/admin/tenants/${t.tenantId}/employees`, { headers: await auth(t.users.employee.id) });
      assert.equal(denied.status, 403);
      assert.ok(audit.events.some((x) => x.action === "employees.list" && x.outcome === "denied" && x.tenantId === t.tenantId));
      const { rows: [n] } = await sql<{ n: number }>`select hits as n from private.rate_limit_windows
        where user_id = ${t.users.hr_manager.id}::uuid and action = 'pii.reveal'`.execute(db);
      assert.equal(n.n, 1, "the reveal was counted in the database");
    } finally {
      await db.destroy();
    }
  },
});
