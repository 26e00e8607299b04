import assert from "node:assert/strict";
import { sql } from "kysely";
import { createMemoryAuditSink } from "../_shared/audit.ts";
import { createVerifier } from "../_shared/auth.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { testConfig } from "../_shared/crypto/test-support.ts";
import { createDb } from "../_shared/db.ts";
import { createMemoryIdempotencyStore } from "../_shared/idempotency.ts";
import { hashInvitationToken, newInvitationToken } from "../_shared/invitation-token.ts";
import { makeTestKeys, mintEs256, NO_DB_MESSAGE, testDbConfig, testDbUrl } from "../_shared/test-support.ts";
import { createOnboardingApp } from "./create-app.ts";

const keys = await makeTestKeys();
const http = { allowedOrigins: ["https://onboarding.kazi.example"], bodyLimitBytes: 65536 };

/** The app with injected deps; `url` null → a database that is down (closed port). */
function makeApp(url: string | null) {
  const { db } = createDb(testDbConfig(url ?? "postgresql://postgres@127.0.0.1:1/kazi", { connectTimeoutMs: 500 }));
  const audit = createMemoryAuditSink();
  const vault = PiiVault.create(db, testConfig());
  const app = createOnboardingApp({
    http,
    verifier: createVerifier(keys.auth),
    audit,
    db,
    vault,
    idempotency: createMemoryIdempotencyStore(),
  });
  return { app, db, audit, vault };
}

const token = (sub = crypto.randomUUID(), email?: string) =>
  mintEs256(keys, { claims: { sub, role: "authenticated", ...(email ? { email } : {}) } });

function send(app: ReturnType<typeof makeApp>["app"], method: string, path: string, tok?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (tok) headers.authorization = `Bearer ${tok}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return app.request(`/onboarding${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

Deno.test("the OpenAPI document lists the eleven routes; everything else needs a token (refusal audited)", async () => {
  const { app, db, audit } = makeApp(null);
  try {
    const doc = await (await send(app, "GET", "/openapi.json")).json();
    assert.equal(Object.values(doc.paths).flatMap((p) => Object.keys(p as object)).length, 11);
    const res = await send(app, "GET", "/me/cases");
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "unauthorized");
    assert.equal(audit.events[0]?.action, "auth.token_rejected");
    assert.equal((await send(app, "GET", "/nope")).status, 401, "unknown paths too: auth before routing");
    assert.equal((await send(app, "GET", "/nope", await token())).status, 404);
  } finally {
    await db.destroy();
  }
});

Deno.test("input is validated before any database work: field-level 400s", async () => {
  const { app, db } = makeApp(null);
  try {
    const tok = await token();
    const res = await send(app, "PUT", `/me/cases/${crypto.randomUUID()}/details`, tok, {
      kra_pin: "123",
      phone: "call me",
      date_of_birth: "1899-12-31",
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.deepEqual(Object.keys(body.error.details.fields).sort(), ["date_of_birth", "kra_pin", "phone"]);
    assert.equal(body.error.details.target, "json");
    assert.equal((await send(app, "GET", "/me/cases/123", tok)).status, 400);
    assert.equal((await send(app, "GET", "/cases?status=submitted", tok)).status, 400, "tenant_id is required");
    assert.equal((await send(app, "POST", "/invitations/accept", tok, { token: "../../etc" })).status, 400);
    assert.equal((await send(app, "POST", `/cases/${crypto.randomUUID()}/reject`, tok, { reason: "" })).status, 400);
  } finally {
    await db.destroy();
  }
});

Deno.test("a database outage is a 503 envelope without internals", async () => {
  const { app, db } = makeApp(null);
  try {
    const res = await send(app, "GET", "/me/cases", await token());
    assert.equal(res.status, 503);
    const text = await res.text();
    assert.match(text, /"code":"unavailable"/);
    assert.ok(!text.includes("127.0.0.1") && !text.includes("ECONNREFUSED"));
  } finally {
    await db.destroy();
  }
});

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);

Deno.test({
  name: "with the database: accept → save → submit → approve through app.request (injected deps)",
  ignore: !url,
  async fn() {
    const { app, db, audit } = makeApp(url!);
    try {
      const { hire, hrId, caseId, tenantId } = await hiredCase(app, db);
      const saved = await send(app, "PUT", `/me/cases/${caseId}/details`, hire, {
        first_name: "Juma",
        last_name: "Mwangi",
        date_of_birth: "1990-02-28",
        kra_pin: "A111222333X",
        national_id: String(40000000 + Math.floor(Math.random() * 50000000)),
        phone: "0799 000 111",
        bank_code: "68",
        branch_code: "001",
        bank_account: "1234-5678-90",
      });
      assert.equal(saved.status, 200);
      assert.equal((await saved.json()).pii.bank_account, "****7890");
      assert.equal((await send(app, "POST", `/me/cases/${caseId}/submit`, hire)).status, 200);
      const approved = await send(app, "POST", `/cases/${caseId}/approve`, await token(hrId), { reason: "ok" });
      assert.equal(approved.status, 200);
      const { employee } = await approved.json();
      const { rows: [e] } = await sql<{ ok: boolean }>`select kra_pin_blind_index is not null as ok
        from public.employees where id = ${employee.id}`.execute(db);
      assert.equal(e.ok, true);
      assert.equal(audit.events.length, 0, "no refusal was recorded");
      await sql`delete from public.tenants where id = ${tenantId}`.execute(db);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "with the database: saves after the case was read (its tenant remembered) answer as the first one did",
  ignore: !url,
  async fn() {
    const { app, db, vault } = makeApp(url!);
    try {
      const { hire, caseId, tenantId } = await hiredCase(app, db);
      const body = (i: number) => ({ first_name: `Juma${"a".repeat(i)}`, kra_pin: `A11122233${i}X`, phone: "0799 000 111" });
      assert.equal((await send(app, "GET", `/me/cases/${caseId}`, hire)).status, 200);
      for (const i of [1, 2]) {
        const saved = await send(app, "PUT", `/me/cases/${caseId}/details`, hire, body(i));
        assert.equal(saved.status, 200);
        assert.equal((await saved.json()).first_name, body(i).first_name);
      }
      const { rows: [row] } = await sql<{ kra_pin_ciphertext: Uint8Array }>`select kra_pin_ciphertext
        from public.onboarding_cases where id = ${caseId}`.execute(db);
      assert.equal(
        await vault.decryptField({ tenantId, table: "onboarding_cases", field: "kra_pin", rowId: caseId, ciphertext: row.kra_pin_ciphertext }),
        "A111222332X",
        "sealed to the case's own tenant and row",
      );

      // someone else, even for a case its subject has read: 404, nothing written
      const other = await send(app, "PUT", `/me/cases/${caseId}/details`, await token(), body(3));
      assert.equal(other.status, 404);
      await send(app, "PUT", `/me/cases/${caseId}/details`, hire, { other_names: "Baraka" });
      assert.equal((await send(app, "POST", `/me/cases/${caseId}/submit`, hire)).status, 422, "still incomplete");
      await send(app, "PUT", `/me/cases/${caseId}/details`, hire, {
        last_name: "Mwangi", date_of_birth: "1990-02-28", national_id: String(40000000 + Math.floor(Math.random() * 50000000)),
        bank_code: "68", branch_code: "001", bank_account: "1234-5678-90",
      });
      assert.equal((await send(app, "POST", `/me/cases/${caseId}/submit`, hire)).status, 200);
      // submitted: the remembered tenant does not make the guarded update succeed
      const late = await send(app, "PUT", `/me/cases/${caseId}/details`, hire, body(4));
      assert.equal(late.status, 409);
      assert.equal((await late.json()).error.details.status, "submitted");
      const { rows: [after] } = await sql<{ first_name: string }>`select first_name from public.onboarding_cases
        where id = ${caseId}`.execute(db);
      assert.equal(after.first_name, body(2).first_name);
      await sql`delete from public.tenants where id = ${tenantId}`.execute(db);
    } finally {
      await db.destroy();
    }
  },
});

/** A tenant with an admin, and a new hire who accepted their invitation (a draft case). */
async function hiredCase(app: ReturnType<typeof makeApp>["app"], db: ReturnType<typeof makeApp>["db"]) {
  const hireId = crypto.randomUUID();
  const hrId = crypto.randomUUID();
  const email = `unit-${hireId}@test.kazi.example`;
  const slug = `onb-unit-${hireId.slice(0, 8)}`;
  const invitation = newInvitationToken();
  await sql`insert into auth.users (id, email) values (${hireId}, ${email}), (${hrId}, ${"hr-" + email})`.execute(db);
  const { rows: [t] } = await sql<{ id: string }>`insert into public.tenants (name, slug) values ('Unit', ${slug})
    returning id`.execute(db);
  await sql`insert into public.memberships (tenant_id, user_id, role) values (${t.id}, ${hrId}, 'admin')`.execute(db);
  await sql`insert into public.invitations (tenant_id, email, role, token_hash, expires_at)
    values (${t.id}, ${email}, 'employee', ${await hashInvitationToken(invitation)}::bytea, now() + interval '1 day')`
    .execute(db);
  const hire = await token(hireId, email);
  const accepted = await send(app, "POST", "/invitations/accept", hire, { token: invitation });
  assert.equal(accepted.status, 201);
  return { hire, hrId, caseId: (await accepted.json()).case.id as string, tenantId: t.id };
}
