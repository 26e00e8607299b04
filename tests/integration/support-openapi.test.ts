// The support OpenAPI document validates as OpenAPI 3 and lists every route
// (each covered by a route table of the other support tests); every route
// but the document itself needs a token, before routing.
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { AGENT_DATA_ROUTES, AGENT_OTHER_ROUTES, TENANT_ROUTES } from "../../functions/support/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL");
const ALL_ROUTES = [...TENANT_ROUTES, ...AGENT_DATA_ROUTES, ...AGENT_OTHER_ROUTES];

Deno.test({
  name: "support: GET /functions/v1/support/openapi.json validates as OpenAPI 3 and lists every route",
  ignore: !served,
  async fn() {
    const res = await callFunction<Record<string, unknown>>("support", "/openapi.json");
    assert.equal(res.status, 200);
    const result = await new Validator().validate(res.body as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.match(String(res.body.openapi), /^3\./);
    const paths = res.body.paths as Record<string, Record<string, { responses: Record<string, unknown>; summary?: string }>>;
    const listed = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const ids = { tenant: "{tenantId}", ticket: "{ticketId}", grant: "{grantId}" };
    const expected = [...new Set(ALL_ROUTES.map((r) => `${r.method} /support${r.path(ids)}`))].sort();
    assert.deepEqual(listed, expected);
    assert.equal(listed.length, 17);
    for (const [p, ops] of Object.entries(paths)) {
      for (const [m, op] of Object.entries(ops)) {
        assert.ok(op.summary, `${m} ${p} has a summary`);
        assert.ok(op.responses["401"], `${m} ${p} documents 401`);
        assert.ok(op.responses["400"], `${m} ${p} documents 400`);
        assert.ok(op.responses["403"], `${m} ${p} documents 403`);
      }
    }
  },
});

Deno.test({
  name: "support: every route answers 401 without a token (checked before routing), with the error envelope",
  ignore: !served,
  async fn() {
    const ids = { tenant: crypto.randomUUID(), ticket: crypto.randomUUID(), grant: crypto.randomUUID() };
    for (const r of [...ALL_ROUTES, { name: "unknown path", method: "GET", path: () => "/no/such/route" }]) {
      const res = await callFunction<{ error: { code: string; request_id: string } }>("support", r.path(ids), {
        method: r.method,
        body: "body" in r && r.body ? r.body(ids) : undefined,
      });
      assert.equal(res.status, 401, r.name);
      assert.equal(res.body.error.code, "unauthorized", r.name);
      assert.ok(res.body.error.request_id, r.name);
    }
  },
});
