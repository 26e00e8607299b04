// The onboarding API as a whole: its OpenAPI document, authentication before
// routing on every route, tenant isolation through every route (table-driven),
// and a real frontend client (supabase-js functions.invoke).
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { sql } from "kysely";
import { requireEnv } from "./_support/env.ts";
import { withTestDb } from "./_support/db.ts";
import { supabaseClient } from "./_support/functions.ts";
import { anonToken, mintEs256, mintHs256 } from "./_support/tokens.ts";
import {
  addMember,
  auditByRequest,
  type CaseBody,
  createTenant,
  createUser,
  details,
  type ErrorBody,
  invite,
  newHire,
  onboarding,
  rid,
  submittedCase,
} from "./onboarding-fixtures.ts";

const ready = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL");

const CASE = "7d6f0c1e-3b0a-4c57-9f55-2b8f4f0d1a22";
/** Every route of the function: [method, path with {caseId}, example body]. */
const ROUTES: [string, string, unknown][] = [
  ["POST", "/invitations/accept", { token: "A".repeat(43) }],
  ["GET", "/me/cases", undefined],
  ["GET", "/me/cases/{caseId}", undefined],
  ["PUT", "/me/cases/{caseId}/details", { first_name: "A" }],
  ["POST", "/me/cases/{caseId}/submit", undefined],
  ["POST", "/me/cases/{caseId}/reveal", {}],
  ["GET", "/cases", undefined],
  ["GET", "/cases/{caseId}", undefined],
  ["POST", "/cases/{caseId}/approve", { reason: "ok" }],
  ["POST", "/cases/{caseId}/reject", { reason: "no" }],
  ["POST", "/cases/{caseId}/return", { reason: "fix it" }],
];

Deno.test({
  name: "GET /onboarding/openapi.json needs no token, validates as OpenAPI 3 and lists every route",
  ignore: !ready,
  async fn() {
    const res = await onboarding<Record<string, unknown> & { paths: Record<string, Record<string, unknown>> }>(
      "/openapi.json",
    );
    assert.equal(res.status, 200);
    const result = await new Validator().validate(res.body as Parameters<Validator["validate"]>[0]);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    const listed = Object.entries(res.body.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)
    ).sort();
    assert.deepEqual(listed, ROUTES.map(([m, p]) => `${m} /onboarding${p}`).sort());
  },
});

Deno.test({
  name: "every route answers 401 without a valid token (none, expired, alg none, wrong audience), refusals audited",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const sub = crypto.randomUUID();
      const [h, p] = (await mintHs256({ sub })).split(".");
      const noneHeader = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
      const bad: [string, string | undefined][] = [
        ["no token", undefined],
        ["expired", await mintEs256({ sub, expiresInSeconds: -120 })],
        ["alg none", `${noneHeader}.${p}.`],
        ["wrong audience", await mintEs256({ sub, audience: "someone-else" })],
        ["tampered", `${h}.${p}.AAAA`],
      ];
      for (const [method, path, body] of ROUTES) {
        for (const [label, token] of bad) {
          const res = await onboarding<ErrorBody>(path.replace("{caseId}", CASE), { method, token, body });
          assert.equal(res.status, 401, `${label}: ${method} ${path}`);
          assert.equal(res.body.error.code, "unauthorized");
        }
      }
      const requestId = rid("expired");
      await onboarding("/me/cases", {
        token: await mintEs256({ sub, expiresInSeconds: -120 }),
        headers: { "x-request-id": requestId },
      });
      const events = await auditByRequest(db, requestId);
      assert.ok(
        events.some((e) => e.action === "auth.token_rejected" && e.outcome === "denied"),
        JSON.stringify(events),
      );
    }),
});

Deno.test({
  name: "cross-tenant: a member of tenant B is refused every tenant-A resource through every route, nothing changes",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenantA = await createTenant(db);
      const a = await submittedCase(db, tenantA);
      const aDraft = await newHire(db, tenantA);
      const aToken = await invite(db, tenantA, `a-only-${crypto.randomUUID()}@test.kazi.example`, { role: "admin" });
      const tenantB = await createTenant(db);
      const before = await sql`select * from public.onboarding_cases where tenant_id = ${tenantA} order by id`.execute(
        db,
      );

      for (const role of ["owner", "admin", "hr_manager", "employee"]) {
        const b = await addMember(db, tenantB, role);
        await submittedCase(db, tenantB); // B has its own data, so B's rights are real
        const table: [string, string, unknown, number][] = [
          ["POST", "/invitations/accept", { token: aToken }, 403],
          ["GET", `/me/cases/${a.caseId}`, undefined, 404],
          ["PUT", `/me/cases/${aDraft.caseId}/details`, details(), 404],
          ["POST", `/me/cases/${aDraft.caseId}/submit`, undefined, 404],
          ["POST", `/me/cases/${a.caseId}/reveal`, {}, 404],
          ["GET", `/cases?tenant_id=${tenantA}`, undefined, 403],
          ["GET", `/cases?tenant_id=${tenantA}&status=submitted`, undefined, 403],
          ["GET", `/cases/${a.caseId}`, undefined, 404],
          ["POST", `/cases/${a.caseId}/approve`, { reason: "cross-tenant" }, 404],
          ["POST", `/cases/${a.caseId}/reject`, { reason: "cross-tenant" }, 404],
          ["POST", `/cases/${a.caseId}/return`, { reason: "cross-tenant" }, 404],
        ];
        assert.equal(
          new Set(table.map(([m, p]) => `${m} ${p.split("?")[0].replace(/[0-9a-f-]{36}/, "{caseId}")}`)).size,
          ROUTES.length - 1,
        );
        for (const [method, path, body, status] of table) {
          const res = await onboarding<ErrorBody>(path, { method, token: b.token, body });
          assert.equal(res.status, status, `${role} of B: ${method} ${path} → ${JSON.stringify(res.body)}`);
          const text = JSON.stringify(res.body);
          assert.ok(!text.includes(a.details.kra_pin.toUpperCase()) && !text.includes("Wanjiku"), "nothing of A leaks");
        }
        const mine = await onboarding<{ items: CaseBody[] }>("/me/cases", { token: b.token });
        assert.equal(mine.status, 200);
        assert.ok(mine.body.items.every((c) => c.tenant_id !== tenantA), "GET /me/cases shows nothing of A");
      }

      const after = await sql`select * from public.onboarding_cases where tenant_id = ${tenantA} order by id`.execute(
        db,
      );
      assert.deepEqual(after.rows, before.rows, "tenant A's cases are unchanged");
      const { rows: [inv] } = await sql<
        { used: boolean }
      >`select accepted_at is not null as used from public.invitations
        where tenant_id = ${tenantA} and role = 'admin'`.execute(db);
      assert.equal(inv.used, false);
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.employees
        where tenant_id = ${tenantA}`.execute(db);
      assert.equal(n.n, 0);
    }),
});

Deno.test({
  name: "supabase-js functions.invoke: a frontend accepts an invitation, saves details and reads its case",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const user = await createUser(db);
      const token = await invite(db, tenant, user.email);
      const client = supabaseClient(await anonToken(), user.token);

      const accepted = await client.functions.invoke<{ case: CaseBody }>("onboarding/invitations/accept", {
        body: { token },
      });
      assert.equal(accepted.error, null, String(accepted.error));
      const caseId = accepted.data!.case.id;

      const saved = await client.functions.invoke<CaseBody>(`onboarding/me/cases/${caseId}/details`, {
        method: "PUT",
        body: { first_name: "Achieng", phone: "+254 711 222 333" },
      });
      assert.equal(saved.error, null, String(saved.error));
      assert.equal(saved.data?.pii.phone, "+2547******33");

      const mine = await client.functions.invoke<{ items: CaseBody[] }>("onboarding/me/cases", { method: "GET" });
      assert.equal(mine.error, null);
      assert.deepEqual(mine.data?.items.map((c) => [c.id, c.first_name]), [[caseId, "Achieng"]]);

      // errors arrive as FunctionsHttpError carrying our envelope
      const bad = await client.functions.invoke(`onboarding/me/cases/${caseId}/details`, {
        method: "PUT",
        body: { phone: "12" },
      });
      assert.ok(bad.error);
      const envelope = await (bad.error.context as Response).json();
      assert.equal(envelope.error.code, "invalid_input");
      assert.ok("phone" in envelope.error.details.fields);
    }),
});
