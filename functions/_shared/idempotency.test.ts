import assert from "node:assert/strict";
import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { createVerifier } from "./auth.ts";
import { createDb } from "./db.ts";
import { createFunctionApp } from "./function-app.ts";
import {
  createDbIdempotencyStore,
  createMemoryIdempotencyStore,
  fingerprint,
  type IdempotencyStore,
  idempotent,
} from "./idempotency.ts";
import { makeTestKeys, mintEs256, NO_DB_MESSAGE, testDbConfig, testDbUrl } from "./test-support.ts";

const keys = await makeTestKeys();
const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);

function makeApp(store: IdempotencyStore, opts: { required?: boolean } = {}) {
  let created = 0;
  let gate: Promise<void> | undefined;
  const app = createFunctionApp("idem", {
    http: { allowedOrigins: [], bodyLimitBytes: 4096 },
    verifier: createVerifier(keys.auth),
  });
  app.openapi(
    createRoute({
      method: "post",
      path: "/things",
      middleware: [idempotent(store, opts)] as const,
      request: {
        body: { required: true, content: { "application/json": { schema: z.object({ name: z.string().min(1) }) } } },
      },
      responses: {
        201: {
          description: "created",
          content: { "application/json": { schema: z.object({ id: z.number(), name: z.string() }) } },
        },
      },
    }),
    async (c) => {
      if (gate) await gate;
      const { name } = c.req.valid("json");
      if (name === "conflict") throw new (await import("./errors.ts")).AppError("conflict", "taken");
      created++;
      return c.json({ id: created, name }, 201);
    },
  );
  return { app, created: () => created, hold: (p: Promise<void> | undefined) => (gate = p) };
}

async function post(app: ReturnType<typeof makeApp>["app"], token: string, body: unknown, key?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  if (key !== undefined) headers["idempotency-key"] = key;
  return await app.request("/idem/things", { method: "POST", headers, body: JSON.stringify(body) });
}

async function semantics(store: IdempotencyStore, sub: string) {
  const t = makeApp(store);
  const token = await mintEs256(keys, { claims: { sub } });
  const key = `key-${crypto.randomUUID()}`;

  const first = await post(t.app, token, { name: "a" }, key);
  assert.equal(first.status, 201);
  assert.deepEqual(await first.json(), { id: 1, name: "a" });

  const again = await post(t.app, token, { name: "a" }, key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(await again.json(), { id: 1, name: "a" });
  assert.equal(t.created(), 1, "the retry created nothing");

  const different = await post(t.app, token, { name: "b" }, key);
  assert.equal(different.status, 422);
  assert.equal((await different.json()).error.code, "business_rule");

  // Another user with the same key is independent.
  const other = await post(t.app, await mintEs256(keys), { name: "a" }, key);
  if (store === memory) assert.equal(other.status, 201);

  // A failed request is not kept: the same key can be retried.
  const k2 = `key-${crypto.randomUUID()}`;
  assert.equal((await post(t.app, token, { name: "conflict" }, k2)).status, 409);
  assert.equal((await post(t.app, token, { name: "" }, k2)).status, 400);
  assert.equal((await post(t.app, token, { name: "c" }, k2)).status, 201);

  // While the first is still running, a duplicate gets 409.
  let open!: () => void;
  t.hold(new Promise<void>((r) => (open = r)));
  const k3 = `key-${crypto.randomUUID()}`;
  const slow = post(t.app, token, { name: "d" }, k3);
  await new Promise((r) => setTimeout(r, 50));
  const dup = await post(t.app, token, { name: "d" }, k3);
  assert.equal(dup.status, 409);
  assert.equal((await dup.json()).error.code, "conflict");
  open();
  assert.equal((await slow).status, 201);
}

const memory = createMemoryIdempotencyStore();

Deno.test("memory store: replay, mismatch, in-progress, failures not kept", async () => {
  await semantics(memory, crypto.randomUUID());
});

Deno.test("no header: runs normally, unless required; malformed keys are 400", async () => {
  const t = makeApp(createMemoryIdempotencyStore());
  const token = await mintEs256(keys);
  assert.equal((await post(t.app, token, { name: "a" })).status, 201);
  assert.equal((await post(t.app, token, { name: "a" })).status, 201);
  assert.equal(t.created(), 2);
  const bad = await post(t.app, token, { name: "a" }, "has spaces in it");
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys((await bad.json()).error.details.fields), ["Idempotency-Key"]);
  const strict = makeApp(createMemoryIdempotencyStore(), { required: true });
  assert.equal((await post(strict.app, token, { name: "a" })).status, 400);
});

Deno.test("memory store: records expire and abandoned locks are taken over", async () => {
  let t = 0;
  const store = createMemoryIdempotencyStore(() => t);
  const ctx = { requestId: "r-00000000", ip: null, userAgent: null };
  const req = {
    userId: "u",
    scope: "POST /x",
    key: "k",
    fingerprint: await fingerprint("POST /x", "{}"),
    ttlSeconds: 10,
  };
  assert.equal((await store.begin(ctx, req)).state, "started");
  assert.equal((await store.begin(ctx, req)).state, "in_progress");
  t = 61_000;
  assert.equal((await store.begin(ctx, req)).state, "started", "abandoned after 60 s");
  await store.complete(ctx, req, { status: 201, body: { id: 1 } });
  assert.equal((await store.begin(ctx, req)).state, "replay");
  t = 61_000 + 10_000;
  assert.equal((await store.begin(ctx, req)).state, "started", "expired");
});

Deno.test({
  name: "database store (private.idempotency_keys, as the user under RLS): same semantics",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const { rows: [exists] } = await sql<
        { ok: boolean }
      >`select to_regclass('private.idempotency_keys') is not null as ok`.execute(db);
      assert.ok(exists.ok, "migration 20261126001100_idempotency is applied");
      const sub = crypto.randomUUID();
      await sql`insert into auth.users (id, email) values (${sub}, ${`${sub}@test.kazi.example`})`.execute(db);
      try {
        await semantics(createDbIdempotencyStore(db), sub);
        const { rows } = await sql<{ n: number; done: number }>`
          select count(*)::int as n, count(status)::int as done from private.idempotency_keys where user_id = ${sub}`
          .execute(db);
        assert.deepEqual(rows[0], { n: 3, done: 3 }, "three completed keys, the failures left nothing");
        // RLS: another user sees none of them.
        const other = crypto.randomUUID();
        const seen = await db.transaction().execute(async (trx) => {
          await sql`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${
            JSON.stringify({ sub: other, role: "authenticated" })
          }, true)`.execute(trx);
          return (await sql<{ n: number }>`select count(*)::int as n from private.idempotency_keys`.execute(trx))
            .rows[0].n;
        });
        assert.equal(seen, 0);
        // anon has no access at all; service_role may read and purge but not write.
        const attempt = (role: string, stmt: ReturnType<typeof sql>) =>
          db.transaction().execute(async (trx) => {
            await sql`select set_config('role', ${role}, true)`.execute(trx);
            await stmt.execute(trx);
          }).then(() => "ok", (e) => (e as { code?: string }).code);
        assert.equal(await attempt("anon", sql`select 1 from private.idempotency_keys`), "42501");
        assert.equal(await attempt("service_role", sql`select 1 from private.idempotency_keys`), "ok");
        assert.equal(
          await attempt(
            "service_role",
            sql`insert into private.idempotency_keys (user_id, scope, key, fingerprint, expires_at) values (${sub}, 's', 'k', ${
              "0".repeat(64)
            }, now())`,
          ),
          "42501",
        );
        assert.equal(
          await attempt(
            "authenticated",
            sql`insert into private.idempotency_keys (user_id, scope, key, fingerprint, expires_at) values (${sub}, 's', 'k', ${
              "0".repeat(64)
            }, now())`,
          ),
          "42501",
          "without claims for that user, RLS refuses the insert",
        );
      } finally {
        await sql`delete from auth.users where id = ${sub}`.execute(db);
      }
    } finally {
      await db.destroy();
    }
  },
});
