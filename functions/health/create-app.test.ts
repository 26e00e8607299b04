import assert from "node:assert/strict";
import { createDb, latestMigration } from "../_shared/db.ts";
import { NO_DB_MESSAGE, testDbConfig, testDbUrl } from "../_shared/test-support.ts";
import { createHealthApp } from "./create-app.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);
const http = { allowedOrigins: ["https://admin.kazi.example"], bodyLimitBytes: 65536 };

Deno.test({
  name: "GET /health → 200 with reachability and the latest applied migration",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const app = createHealthApp({ http, probe: () => latestMigration(db) });
      const res = await app.request("/health");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.ok(res.headers.get("x-request-id"));
      const body = await res.json();
      assert.deepEqual(Object.keys(body).sort(), ["database", "status"]);
      assert.equal(body.status, "ok");
      assert.equal(body.database.reachable, true);
      assert.match(body.database.migration, /^\d{14}$/);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test("GET /health → 503 envelope-compatible body when the database is down (closed port)", async () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/kazi", { connectTimeoutMs: 500 }));
  try {
    const app = createHealthApp({ http, probe: () => latestMigration(db) });
    const started = Date.now();
    const res = await app.request("/health", { headers: { "x-request-id": "health-probe-001" } });
    assert.ok(Date.now() - started < 2000, "answers fast");
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.deepEqual(body.database, { reachable: false, migration: null });
    assert.equal(body.error.code, "unavailable");
    assert.equal(body.error.request_id, "health-probe-001");
    assert.ok(
      !JSON.stringify(body).includes("127.0.0.1") && !JSON.stringify(body).includes("ECONNREFUSED"),
      "no internals",
    );
  } finally {
    await db.destroy();
  }
});

Deno.test("a hanging database probe is cut off by the timeout", async () => {
  const app = createHealthApp({ http, probe: () => new Promise(() => {}), probeTimeoutMs: 50 });
  const res = await app.request("/health");
  assert.equal(res.status, 503);
});

Deno.test("health needs no token, answers preflight, and exposes nothing else without a token", async () => {
  const app = createHealthApp({ http, probe: () => Promise.resolve("20261126000000") });
  const pre = await app.request("/health", {
    method: "OPTIONS",
    headers: {
      origin: "https://admin.kazi.example",
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, x-client-info, apikey",
    },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://admin.kazi.example");
  const ok = await app.request("/health", { headers: { origin: "https://admin.kazi.example" } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://admin.kazi.example");
  assert.deepEqual(await ok.json(), { status: "ok", database: { reachable: true, migration: "20261126000000" } });
  const other = await app.request("/health/anything");
  assert.equal(other.status, 401);
  const post = await app.request("/health", { method: "POST" });
  assert.equal(post.status, 401);
  const doc = await (await app.request("/health/openapi.json")).json();
  assert.deepEqual(Object.keys(doc.paths), ["/health"]);
  assert.deepEqual(doc.paths["/health"].get.security, []);
});
