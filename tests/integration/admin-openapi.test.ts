// The admin OpenAPI document validates as OpenAPI 3 and lists every route;
// a frontend calls the function through supabase-js.
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction, supabaseClient } from "./_support/functions.ts";
import { anonToken, userToken } from "./_support/tokens.ts";
import { openFixtures, seedTenant, TENANT_ROUTES } from "../../functions/admin/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL");
const withDb = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

Deno.test({
  name: "admin: GET /functions/v1/admin/openapi.json validates as OpenAPI 3 and lists every route",
  ignore: !served,
  async fn() {
    const res = await callFunction<Record<string, unknown>>("admin", "/openapi.json");
    assert.equal(res.status, 200);
    const result = await new Validator().validate(res.body as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const listed = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const ids = { tenant: "{tenantId}", invitation: "{invitationId}", employee: "{employeeId}", member: "{userId}", job: "{jobId}", pii: { national_id: "" } };
    const expected = ["POST /admin/tenants", "GET /admin/tenants", ...TENANT_ROUTES.map((r) => `${r.method} /admin${r.path(ids)}`)].sort();
    assert.deepEqual(listed, expected);
    for (const [p, ops] of Object.entries(paths)) {
      for (const [m, op] of Object.entries(ops) as [string, { responses: Record<string, unknown> }][]) {
        assert.ok(op.responses["401"], `${m} ${p} documents 401`);
        assert.ok(op.responses["400"], `${m} ${p} documents 400`);
      }
    }
  },
});

Deno.test({
  name: "admin: supabase-js functions.invoke lists employees (masked) as the Admin Portal would",
  ignore: !withDb,
  async fn() {
    const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      const t = await seedTenant(f.db, f.vault, 2);
      const client = supabaseClient(await anonToken(), await userToken(t.users.hr_manager.id));
      const { data, error } = await client.functions.invoke<{ items: { id: string; masked: { kra_pin: string } }[] }>(
        `admin/tenants/${t.tenantId}/employees?limit=10`,
        { method: "GET" },
      );
      assert.equal(error, null, String(error));
      assert.deepEqual(data!.items.map((e) => e.id).sort(), t.employees.map((e) => e.id).sort());
      assert.ok(data!.items.every((e) => /^A\d{2}\*+\d?[A-Z0-9]{2}$/.test(e.masked.kra_pin)));
      const reveal = await client.functions.invoke<{ value: string }>(
        `admin/tenants/${t.tenantId}/employees/${t.employees[0].id}/reveal`,
        { method: "POST", body: { field: "kra_pin", reason: "portal reveal via supabase-js" } },
      );
      assert.equal(reveal.error, null, String(reveal.error));
      assert.equal(reveal.data!.value, t.employees[0].pii.kra_pin);
      const refused = await supabaseClient(await anonToken(), await userToken(t.users.employee.id)).functions.invoke(
        `admin/tenants/${t.tenantId}/employees`,
        { method: "GET" },
      );
      assert.ok(refused.error, "an employee is refused");
      assert.equal((refused.error as { context?: Response }).context?.status, 403);
      await (refused.error as { context?: Response }).context?.body?.cancel();
    } finally {
      await f.close();
    }
  },
});
