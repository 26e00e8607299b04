import assert from "node:assert/strict";
import { createFunctionApp } from "./function-app.ts";
import { makeTestKeys, mintEs256 } from "./test-support.ts";
import { createVerifier } from "./auth.ts";

const keys = await makeTestKeys();
const app = createFunctionApp("corsy", {
  http: { allowedOrigins: ["https://admin.kazi.example", "http://localhost:5173"], bodyLimitBytes: 1024 },
  verifier: createVerifier(keys.auth),
});
app.get("/things", (c) => c.json({ ok: true }));

Deno.test("a preflight from an allowed origin is answered without a token", async () => {
  const res = await app.request("/corsy/things", {
    method: "OPTIONS",
    headers: {
      origin: "https://admin.kazi.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, x-client-info, apikey, idempotency-key",
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://admin.kazi.example");
  const allowHeaders = res.headers.get("access-control-allow-headers") ?? "";
  for (const h of ["authorization", "content-type", "x-client-info", "apikey", "idempotency-key"]) {
    assert.ok(allowHeaders.includes(h), h);
  }
  assert.ok((res.headers.get("access-control-allow-methods") ?? "").includes("POST"));
  assert.ok(res.headers.get("x-request-id"));
});

Deno.test("an origin that is not allowed gets no CORS grant", async () => {
  const pre = await app.request("/corsy/things", {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
  });
  assert.equal(pre.headers.get("access-control-allow-origin"), null);
  const get = await app.request("/corsy/things", {
    headers: { origin: "https://evil.example", authorization: `Bearer ${await mintEs256(keys)}` },
  });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get("access-control-allow-origin"), null);
});

Deno.test("actual responses, 401s included, carry the CORS grant so the browser can read the error", async () => {
  const ok = await app.request("/corsy/things", {
    headers: { origin: "http://localhost:5173", authorization: `Bearer ${await mintEs256(keys)}` },
  });
  assert.equal(ok.headers.get("access-control-allow-origin"), "http://localhost:5173");
  assert.ok((ok.headers.get("access-control-expose-headers") ?? "").includes("x-request-id"));
  const denied = await app.request("/corsy/things", { headers: { origin: "http://localhost:5173" } });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("access-control-allow-origin"), "http://localhost:5173");
  assert.ok((denied.headers.get("vary") ?? "").toLowerCase().includes("origin"));
});
