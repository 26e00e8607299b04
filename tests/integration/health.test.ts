// The served health function, called over HTTP and through supabase-js.
import assert from "node:assert/strict";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction, supabaseClient } from "./_support/functions.ts";
import { anonToken } from "./_support/tokens.ts";
import { withTestDb } from "./_support/db.ts";
import { sql } from "kysely";

const served = requireEnv("KAZI_FUNCTIONS_URL");

interface Health {
  status: string;
  database: { reachable: boolean; migration: string | null };
}

Deno.test({
  name: "GET /functions/v1/health → 200, database reachable, latest migration",
  ignore: !served,
  async fn() {
    const res = await callFunction<Health>("health");
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "ok");
    assert.equal(res.body.database.reachable, true);
    assert.match(res.body.database.migration ?? "", /^\d{14}$/);
    assert.ok(res.headers.get("x-request-id"));
    if (env.testDbUrl) {
      // The served functions use the same database the runner migrated.
      const latest = await withTestDb(async (db) =>
        (await sql<{ v: string }>`select max(version) as v from supabase_migrations.schema_migrations`.execute(db))
          .rows[0].v
      );
      assert.equal(res.body.database.migration, latest);
    }
  },
});

Deno.test({
  name: "health echoes a request id and answers a CORS preflight",
  ignore: !served,
  async fn() {
    const res = await callFunction("health", "", { headers: { "x-request-id": "integration-health-1" } });
    assert.equal(res.headers.get("x-request-id"), "integration-health-1");
    const pre = await callFunction("health", "", {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, x-client-info, apikey",
      },
    });
    assert.ok(pre.status === 204 || pre.status === 200, String(pre.status));
    assert.ok((pre.headers.get("access-control-allow-methods") ?? "").includes("GET"));
  },
});

Deno.test({
  name: "supabase-js functions.invoke('health') works as a frontend would call it",
  ignore: !served,
  async fn() {
    const client = supabaseClient(await anonToken());
    const { data, error } = await client.functions.invoke<Health>("health", { method: "GET" });
    assert.equal(error, null, String(error));
    assert.equal(data?.status, "ok");
    assert.equal(data?.database.reachable, true);
  },
});

Deno.test({
  name: "health discloses nothing else without a token",
  ignore: !served,
  async fn() {
    const other = await callFunction<{ error: { code: string } }>("health", "/internals");
    assert.equal(other.status, 401);
    assert.equal(other.body.error.code, "unauthorized");
  },
});
