// The support app driven with app.request() and injected deps: validation,
// authentication and the OpenAPI document without a database; with
// KAZI_TEST_DB_URL the grant flow against the real schema, and the database
// functions this API relies on refusing the wrong callers.
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { sql } from "kysely";
import { createMemoryAuditSink } from "../_shared/audit.ts";
import { createVerifier } from "../_shared/auth.ts";
import type { AnyDb } from "../_shared/crypto/data-keys.ts";
import { loadCryptoConfig } from "../_shared/crypto/config.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { testConfig } from "../_shared/crypto/test-support.ts";
import { createDb, type Db } from "../_shared/db.ts";
import { createMemoryIdempotencyStore } from "../_shared/idempotency.ts";
import { makeTestKeys, mintEs256, NO_DB_MESSAGE, testDbConfig, testDbUrl } from "../_shared/test-support.ts";
import { createSupportApp } from "./create-app.ts";
import type { SupportDeps } from "./deps.ts";
import { grantState } from "./schemas.ts";
import { auditEvents, makeAgent, seedTenant, seedTicket } from "./test-fixtures.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);
const keys = await makeTestKeys();
// The function's own keys when the runner provides them (so every data key in
// the shared test database is wrapped by the same KEKs), else throwaway ones.
const cryptoConfig = () => Deno.env.get("KAZI_KEKS") ? loadCryptoConfig(Deno.env.toObject()) : testConfig();
const http = { allowedOrigins: ["https://support.kazi.example"], bodyLimitBytes: 65536 };

function appWith(db: Db) {
  const audit = createMemoryAuditSink();
  const deps: SupportDeps = {
    http,
    verifier: createVerifier(keys.auth),
    audit,
    db,
    vault: PiiVault.create(db as unknown as AnyDb, cryptoConfig()),
    idempotency: createMemoryIdempotencyStore(),
  };
  return { app: createSupportApp(deps), audit };
}

const auth = async (sub: string) => ({ authorization: `Bearer ${await mintEs256(keys, { claims: { sub } })}` });
const post = (body: unknown, headers: Record<string, string>) => ({
  method: "POST",
  headers: { ...headers, "content-type": "application/json" },
  body: JSON.stringify(body),
});

function offlineDb() {
  return createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none", { connectTimeoutMs: 300 })).db;
}

Deno.test("no token → 401 on every support path (audited); the OpenAPI document is public and valid", async () => {
  const db = offlineDb();
  try {
    const { app, audit } = appWith(db);
    const t = crypto.randomUUID();
    for (const path of [`/support/tenants/${t}/tickets`, "/support/agent/tickets", "/support/nope"]) {
      const res = await app.request(path);
      assert.equal(res.status, 401, path);
      assert.equal((await res.json()).error.code, "unauthorized");
    }
    assert.equal(audit.events.filter((e) => e.action === "auth.token_rejected").length, 3);
    const doc = await (await app.request("/support/openapi.json")).json();
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.equal(Object.values(doc.paths as Record<string, object>).flatMap((p) => Object.keys(p)).length, 17);
  } finally {
    await db.destroy();
  }
});

Deno.test("invalid input → 400 before any database work (the database is unreachable here)", async () => {
  const db = offlineDb();
  try {
    const { app } = appWith(db);
    const h = await auth(crypto.randomUUID());
    const t = crypto.randomUUID();
    const cases: [string, RequestInit][] = [
      [`/support/tenants/not-a-uuid/tickets`, { headers: h }],
      [`/support/tenants/${t}/tickets?limit=0`, { headers: h }],
      [`/support/tenants/${t}/tickets`, post({ subject: "ok" }, h)],
      [`/support/agent/tickets?assignee=bob`, { headers: h }],
      [`/support/agent/access-grants`, post({ tenant_id: t, reason: "Long enough reason", duration_hours: 100 }, h)],
      [`/support/agent/access-grants`, post({ tenant_id: t, reason: "Long enough reason", duration_hours: "4" }, h)],
      [`/support/agent/tickets/${t}`, { method: "PATCH", headers: { ...h, "content-type": "application/json" }, body: "{}" }],
      [`/support/agent/tickets/${t}/assign`, post({ assignee_id: "x" }, h)],
    ];
    for (const [path, init] of cases) {
      const res = await app.request(path, init);
      assert.equal(res.status, 400, path);
      const body = await res.json();
      assert.equal(body.error.code, "invalid_input");
      assert.ok(body.error.details.fields, path);
    }
  } finally {
    await db.destroy();
  }
});

Deno.test("grantState derives requested/active/denied/expired/revoked", () => {
  const base = {
    id: crypto.randomUUID(),
    tenant_id: crypto.randomUUID(),
    support_user_id: crypto.randomUUID(),
    reason: "x",
    requested_at: new Date(),
    decided_by: null,
    decided_at: null,
    revoked_by: null,
  };
  const future = new Date(Date.now() + 60_000);
  const past = new Date(Date.now() - 60_000);
  assert.equal(grantState({ ...base, status: "requested", expires_at: future, revoked_at: null }), "requested");
  assert.equal(grantState({ ...base, status: "approved", expires_at: future, revoked_at: null }), "active");
  assert.equal(grantState({ ...base, status: "approved", expires_at: past, revoked_at: null }), "expired");
  assert.equal(grantState({ ...base, status: "requested", expires_at: past, revoked_at: null }), "expired");
  assert.equal(grantState({ ...base, status: "denied", expires_at: future, revoked_at: null }), "denied");
  assert.equal(grantState({ ...base, status: "approved", expires_at: future, revoked_at: new Date() }), "revoked");
});

function dbTest(name: string, fn: (db: Db) => Promise<void>) {
  Deno.test({
    name,
    ignore: !url,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { db } = createDb(testDbConfig(url!));
      try {
        await fn(db);
      } finally {
        await db.destroy();
      }
    },
  });
}

dbTest("grant flow through app.request: request, approve, masked list with its grant_used row", async (db) => {
  const any = db as unknown as AnyDb;
  const vault = PiiVault.create(any, cryptoConfig());
  const t = await seedTenant(any, vault, 1);
  const agent = await makeAgent(any);
  const { app } = appWith(db);
  const agentH = await auth(agent.id);
  const req = await app.request("/support/agent/access-grants", post({ tenant_id: t.tenantId, reason: "Unit test access", duration_hours: 1 }, agentH));
  assert.equal(req.status, 201);
  const grant = await req.json();
  const ok = await app.request(`/support/tenants/${t.tenantId}/access-grants/${grant.id}/approve`, { method: "POST", headers: await auth(t.users.owner.id) });
  assert.equal(ok.status, 200);
  const list = await app.request(`/support/agent/tenants/${t.tenantId}/employees`, { headers: agentH });
  assert.equal(list.status, 200);
  const body = await list.json();
  assert.equal(body.items.length, 1);
  assert.ok(!JSON.stringify(body).includes(t.employees[0].pii.national_id));
  const uses = await auditEvents(any, { action: "support.grant_used", actorId: agent.id });
  assert.equal(uses.length, 1);
  assert.equal(uses[0].resource_id, grant.id);
});

dbTest("database functions: only platform support reads the queue or assigns; grants are revoked only by their grantee; anon executes nothing", async (db) => {
  const any = db as unknown as AnyDb;
  const vault = PiiVault.create(any, cryptoConfig());
  const t = await seedTenant(any, vault, 0);
  const agent = await makeAgent(any);
  const ticket = await seedTicket(any, t.tenantId, t.users.owner.id);
  const as = async (sub: string | null, role: string, query: ReturnType<typeof sql>) =>
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('role', ${role}, true),
        set_config('request.jwt.claims', ${JSON.stringify(sub ? { sub, role } : { role })}, true)`.execute(trx);
      return await query.execute(trx);
    });
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return "ok";
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };
  assert.equal(await code(as(t.users.owner.id, "authenticated", sql`select * from private.support_ticket_queue()`)), "42501");
  assert.equal(
    await code(as(t.users.owner.id, "authenticated", sql`select * from private.assign_support_ticket(${ticket.id}::uuid, null)`)),
    "42501",
  );
  assert.equal(await code(as(null, "anon", sql`select * from private.support_ticket_queue()`)), "42501");
  const queue = await as(agent.id, "authenticated", sql`select * from private.support_ticket_queue(p_ticket_id => ${ticket.id}::uuid)`);
  assert.equal(queue.rows.length, 1);
  const other = await makeAgent(any);
  const { rows: [g] } = await sql<{ id: string }>`insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
    values (${t.tenantId}, ${agent.id}, 'Unit test grant', now() + interval '1 hour') returning id`.execute(db);
  assert.equal(await code(as(other.id, "authenticated", sql`select * from private.revoke_my_support_grant(${g.id}::uuid)`)), "KZ404");
  assert.equal(await code(as(agent.id, "authenticated", sql`select * from private.revoke_my_support_grant(${g.id}::uuid)`)), "ok");
  assert.equal(await code(as(agent.id, "authenticated", sql`select * from private.revoke_my_support_grant(${g.id}::uuid)`)), "KZ409");
  const { rows: [r] } = await sql<{ revoked_by: string }>`select revoked_by from public.support_access_grants where id = ${g.id}::uuid`.execute(db);
  assert.equal(r.revoked_by, agent.id);
});
