import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { createVerifier } from "./auth.ts";
import { createFunctionApp } from "./function-app.ts";
import { errorResponses } from "./openapi.ts";
import { makeTestKeys, mintEs256 } from "./test-support.ts";

const keys = await makeTestKeys();
const logged: unknown[] = [];
const app = createFunctionApp("demo", {
  http: { allowedOrigins: [], bodyLimitBytes: 1024 },
  verifier: createVerifier(keys.auth),
  logError: (e) => logged.push(e),
  version: "9.9.9",
});
app.openapi(
  createRoute({
    method: "get",
    path: "/employees/{id}",
    request: { params: z.object({ id: z.uuid() }) },
    responses: {
      200: { description: "one employee", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  (c) => c.json({ id: c.req.valid("param").id }, 200),
);
app.get("/throws-string", () => {
  throw "a string with a secret";
});

Deno.test("GET /<name>/openapi.json needs no token and lists every route as OpenAPI 3", async () => {
  const res = await app.request("/demo/openapi.json");
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.match(doc.openapi, /^3\.0\.\d$/);
  assert.equal(doc.info.title, "Kazi demo API");
  assert.equal(doc.info.version, "9.9.9");
  assert.ok(doc.paths["/demo/employees/{id}"]?.get, JSON.stringify(Object.keys(doc.paths)));
  assert.ok(doc.paths["/demo/employees/{id}"].get.responses["404"]);
  assert.equal(doc.components.securitySchemes.bearerAuth.scheme, "bearer");
  assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
  assert.ok(doc.components.schemas.ErrorEnvelope);
  // Only GET is public.
  const post = await app.request("/demo/openapi.json", { method: "POST" });
  assert.equal(post.status, 401);
});

Deno.test("routes work with a token; unknown paths are 404 envelopes", async () => {
  const auth = { authorization: `Bearer ${await mintEs256(keys)}` };
  const id = crypto.randomUUID();
  const ok = await app.request(`/demo/employees/${id}`, { headers: auth });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { id });
  const nf = await app.request("/demo/nothing/here", { headers: auth });
  assert.equal(nf.status, 404);
  assert.equal((await nf.json()).error.code, "not_found");
});

Deno.test("a non-Error throwable still becomes a 500 envelope without internals", async () => {
  const res = await app.request("/demo/throws-string", {
    headers: { authorization: `Bearer ${await mintEs256(keys)}` },
  });
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "internal");
  assert.ok(!JSON.stringify(body).includes("secret"));
  assert.ok(!JSON.stringify(logged).includes("secret"));
});

Deno.test("function names are checked", () => {
  assert.throws(() => createFunctionApp("../etc", { http: { allowedOrigins: [], bodyLimitBytes: 1024 } }));
});

Deno.test("a routes/<resource>.ts sub-app mounted with app.route() inherits validation, errors and the OpenAPI listing", async () => {
  const { OpenAPIHono } = await import("@hono/zod-openapi");
  const sub = new OpenAPIHono();
  sub.openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      request: { params: z.object({ id: z.uuid("Invalid ticket id") }) },
      responses: {
        200: { description: "a ticket", content: { "application/json": { schema: z.object({ id: z.string() }) } } },
      },
    }),
    (c) => c.json({ id: c.req.valid("param").id }, 200),
  );
  const main = createFunctionApp("support", {
    http: { allowedOrigins: [], bodyLimitBytes: 1024 },
    verifier: createVerifier(keys.auth),
  });
  main.route("/tickets", sub);
  const auth = { authorization: `Bearer ${await mintEs256(keys)}` };
  const bad = await main.request("/support/tickets/nope", { headers: auth });
  assert.equal(bad.status, 400);
  assert.deepEqual((await bad.json()).error.details, { target: "param", fields: { id: "Invalid ticket id" } });
  assert.equal((await main.request("/support/tickets/nope")).status, 401, "the sub-app is behind authentication too");
  const doc = await (await main.request("/support/openapi.json")).json();
  assert.ok(doc.paths["/support/tickets/{id}"]?.get, JSON.stringify(Object.keys(doc.paths)));
});

Deno.test("http.maxConcurrentRequests: a request waits for its turn before any of its work starts", async () => {
  const limited = createFunctionApp("queue", {
    http: { allowedOrigins: [], bodyLimitBytes: 1024, maxConcurrentRequests: 1 },
    verifier: createVerifier(keys.auth),
  });
  let release!: () => void;
  const started: string[] = [];
  limited.get("/slow", async (c) => {
    started.push("slow");
    await new Promise<void>((r) => release = r);
    return c.text("slow");
  });
  limited.get("/fast", (c) => {
    started.push("fast");
    return c.text("fast");
  });
  const auth = { authorization: `Bearer ${await mintEs256(keys)}` };
  const slow = limited.request("/queue/slow", { headers: auth });
  while (!release) await new Promise((r) => setTimeout(r, 1));
  const fast = limited.request("/queue/fast", { headers: auth });
  // not even refused for its missing token while the slow one holds the only turn
  let refused = false;
  const unauthenticated = Promise.resolve(limited.request("/queue/fast")).then((r) => (refused = true, r));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(started, ["slow"]);
  assert.equal(refused, false);
  release();
  assert.equal(await (await slow).text(), "slow");
  assert.equal(await (await fast).text(), "fast");
  assert.equal((await unauthenticated).status, 401);
  assert.deepEqual(started, ["slow", "fast"]);
});

Deno.test("a path under the local gateway's /functions/v1/ prefix routes as the path without it", async () => {
  const paths = createFunctionApp("where", { http: { allowedOrigins: [], bodyLimitBytes: 1024 }, verifier: createVerifier(keys.auth) });
  paths.get("/here", (c) => c.text(c.req.path));
  const auth = { authorization: `Bearer ${await mintEs256(keys)}` };
  assert.equal(await (await paths.request("/where/here", { headers: auth })).text(), "/where/here");
  assert.equal(await (await paths.request("/functions/v1/where/here", { headers: auth })).text(), "/where/here");
  assert.equal((await paths.request("/functions/v1/where/here")).status, 401, "behind authentication either way");
  assert.equal((await paths.request("/functions/v2/where/here", { headers: auth })).status, 404);
  const doc = await (await paths.request("/functions/v1/where/openapi.json")).json();
  assert.equal(doc.info.title, "Kazi where API", "the OpenAPI document is served under the prefix too");
});
