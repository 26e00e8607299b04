import assert from "node:assert/strict";
import { sql } from "kysely";
import type { RequestContext } from "./context.ts";
import { createDb } from "./db.ts";
import { AppError } from "./errors.ts";
import { createDbRateLimiter, createMemoryRateLimiter, enforceRateLimit, hitQuery } from "./rate-limit.ts";
import { NO_DB_MESSAGE, testDbConfig, testDbUrl } from "./test-support.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);

function ctxFor(userId: string): RequestContext {
  return {
    requestId: crypto.randomUUID(),
    ip: "203.0.113.7",
    userAgent: "rate-limit-test",
    caller: { userId, role: "authenticated", claims: { sub: userId, role: "authenticated", iss: "t", aud: "authenticated", exp: 0 } },
  };
}

Deno.test("memory limiter: fixed windows per user and action, Retry-After to the window's end", async () => {
  let now = 60_000 * 20_000_000 + 10_000; // 10 s into a 60 s window
  const limiter = createMemoryRateLimiter(() => now);
  const rule = { action: "pii.reveal", limit: 2, windowSeconds: 60 };
  const a = ctxFor(crypto.randomUUID());
  assert.equal((await limiter.hit(a, rule)).allowed, true);
  assert.equal((await limiter.hit(a, rule)).allowed, true);
  const third = await limiter.hit(a, rule);
  assert.deepEqual(third, { allowed: false, hits: 3, retryAfterSeconds: 50 });
  assert.equal((await limiter.hit(ctxFor(crypto.randomUUID()), rule)).allowed, true, "another user has their own count");
  assert.equal((await limiter.hit(a, { ...rule, action: "pii.export" })).allowed, true, "another action too");
  now += 50_000; // next window
  assert.equal((await limiter.hit(a, rule)).allowed, true, "a new window starts afresh");
});

Deno.test("enforceRateLimit throws 429 rate_limited with a Retry-After header", async () => {
  const limiter = createMemoryRateLimiter(() => 0);
  const ctx = ctxFor(crypto.randomUUID());
  const rule = { action: "pii.reveal", limit: 1, windowSeconds: 30 };
  await enforceRateLimit(limiter, ctx, rule);
  const err = await enforceRateLimit(limiter, ctx, rule).then(() => null, (e) => e);
  assert.ok(err instanceof AppError);
  assert.equal(err.status, 429);
  assert.equal(err.headers["retry-after"], "30");
});

Deno.test("the database statement is one call of private.hit_rate_limit with bound parameters", () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none"));
  const q = hitQuery({ action: "pii.reveal", limit: 10, windowSeconds: 60 }).compile(db);
  assert.match(q.sql, /from private\.hit_rate_limit\(\$1::text, \$2::int, \$3::int\)/);
  assert.deepEqual(q.parameters, ["pii.reveal", 10, 60]);
});

Deno.test({
  name: "database limiter: the count is shared by separate instances (pools) and refused attempts count",
  ignore: !url,
  async fn() {
    const one = createDb(testDbConfig(url!));
    const two = createDb(testDbConfig(url!));
    try {
      const userId = crypto.randomUUID();
      await sql`insert into auth.users (id, email) values (${userId}::uuid, ${`rl-${userId}@test.kazi.example`})`.execute(one.db);
      const rule = { action: "pii.reveal", limit: 2, windowSeconds: 3600 };
      const first = createDbRateLimiter(one.db);
      const second = createDbRateLimiter(two.db);
      assert.equal((await first.hit(ctxFor(userId), rule)).allowed, true);
      assert.equal((await second.hit(ctxFor(userId), rule)).allowed, true);
      const third = await first.hit(ctxFor(userId), rule);
      assert.equal(third.allowed, false);
      assert.equal(third.hits, 3);
      assert.ok(third.retryAfterSeconds >= 1 && third.retryAfterSeconds <= 3600);
      assert.equal((await second.hit(ctxFor(userId), rule)).hits, 4, "refused attempts are counted too");
      assert.equal((await second.hit(ctxFor(userId), { ...rule, action: "pii.export" })).allowed, true);
      const err = await enforceRateLimit(second, ctxFor(userId), rule).then(() => null, (e) => e);
      assert.equal(err?.status, 429);
      // the counter table is out of the API's reach
      const direct = await sql`select 1 from private.rate_limit_windows`.execute(one.db).then(() => "ok");
      assert.equal(direct, "ok", "superuser sees it");
      const refused = await one.db.transaction().execute(async (trx) => {
        await sql`select set_config('role', 'authenticated', true)`.execute(trx);
        await sql`select * from private.rate_limit_windows`.execute(trx);
      }).then(() => null, (e) => e.code);
      assert.equal(refused, "42501", "authenticated cannot read the counters directly");
      const anonymous = await one.db.transaction().execute(async (trx) => {
        await sql`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{}', true)`.execute(trx);
        await hitQuery(rule).execute(trx);
      }).then(() => null, (e) => e.code);
      assert.equal(anonymous, "KZ401", "no user, no counting");
    } finally {
      await one.db.destroy();
      await two.db.destroy();
    }
  },
});
