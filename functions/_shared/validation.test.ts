import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { createFunctionApp } from "./function-app.ts";
import { illFormedStringPath, issueDetails, parseOrThrow } from "./validation.ts";
import { AppError } from "./errors.ts";

const Body = z.object({
  first_name: z.string().min(1, "First name is required"),
  kra_pin: z.string().regex(/^[AP]\d{9}[A-Z]$/, "Invalid KRA PIN"),
  bank: z.object({ account: z.string().regex(/^\d{6,16}$/, "Invalid account number") }),
});

const route = createRoute({
  method: "post",
  path: "/cases/{id}",
  request: {
    params: z.object({ id: z.uuid("Invalid case id") }),
    query: z.object({ dry_run: z.enum(["true", "false"]).optional() }),
    body: { required: true, content: { "application/json": { schema: Body } } },
  },
  responses: { 200: { description: "ok", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } } },
});

let writes = 0;
const app = createFunctionApp("val", {
  http: { allowedOrigins: [], bodyLimitBytes: 2048 },
  publicRoutes: [{ method: "POST", path: "/cases/:id" }],
});
app.openapi(route, (c) => {
  c.req.valid("json");
  writes++;
  return c.json({ ok: true }, 200);
});

const id = crypto.randomUUID();
const good = { first_name: "Amina", kra_pin: "A123456789Z", bank: { account: "0123456789" } };
const post = (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  app.request(path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

Deno.test("valid input passes", async () => {
  const res = await post(`/val/cases/${id}`, good);
  assert.equal(res.status, 200);
});

Deno.test("zod failures become invalid_input with field-level details, nothing written", async () => {
  const before = writes;
  const res = await post(`/val/cases/${id}`, { first_name: "", kra_pin: "A12", bank: { account: "x" } });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "invalid_input");
  assert.equal(error.details.target, "json");
  assert.deepEqual(error.details.fields, {
    first_name: "First name is required",
    kra_pin: "Invalid KRA PIN",
    "bank.account": "Invalid account number",
  });
  assert.ok(!JSON.stringify(error).includes("A12"), "the bad value is not echoed");
  assert.equal(writes, before);
});

Deno.test("path and query parameters are validated too", async () => {
  const p = await post(`/val/cases/not-a-uuid`, good);
  assert.equal(p.status, 400);
  assert.deepEqual((await p.json()).error.details, { target: "param", fields: { id: "Invalid case id" } });
  const q = await post(`/val/cases/${id}?dry_run=maybe`, good);
  assert.equal(q.status, 400);
  assert.equal((await q.json()).error.details.target, "query");
});

Deno.test("malformed JSON, a wrong content type and an oversized body are 4xx envelopes", async () => {
  const before = writes;
  const bad = await post(`/val/cases/${id}`, "{not json");
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, "invalid_input");
  const text = await post(`/val/cases/${id}`, JSON.stringify(good), { "content-type": "text/plain" });
  assert.equal(text.status, 415);
  assert.equal((await text.json()).error.code, "unsupported_media_type");
  const none = await app.request(`/val/cases/${id}`, { method: "POST" });
  assert.equal(none.status, 400, "a required body that is missing");
  const big = await post(`/val/cases/${id}`, { ...good, first_name: "x".repeat(5000) });
  assert.equal(big.status, 413);
  const bigBody = await big.json();
  assert.equal(bigBody.error.code, "payload_too_large");
  assert.equal(bigBody.error.details.limit_bytes, 2048);
  assert.equal(writes, before);
});

Deno.test("parseOrThrow and issueDetails", () => {
  assert.deepEqual(parseOrThrow(z.object({ n: z.coerce.number() }), { n: "4" }), { n: 4 });
  assert.throws(
    () => parseOrThrow(z.object({ n: z.number() }), {}, "query"),
    (e) =>
      e instanceof AppError && e.code === "invalid_input" &&
      typeof (e.details.fields as Record<string, string>).n === "string",
  );
  const r = z.array(z.object({ a: z.string() })).safeParse([{ a: "x" }, { a: 1 }]);
  assert.ok(!r.success);
  assert.deepEqual(Object.keys(issueDetails(r.error)), ["1.a"]);
  const root = z.string().safeParse(1);
  assert.ok(!root.success);
  assert.deepEqual(Object.keys(issueDetails(root.error, "json")), ["json"]);
});

Deno.test("illFormedStringPath names the first string holding a lone surrogate; well-formed text passes", () => {
  assert.equal(illFormedStringPath({ a: "Wanjiku 🇰🇪", b: ["e\u0301", { c: "ok" }] }), null);
  assert.equal(illFormedStringPath({ a: "fine", b: [{ c: "x\ud800" }] }), "b.0.c");
  assert.equal(illFormedStringPath("\udc00"), "");
  assert.equal(illFormedStringPath(42), null);
});
