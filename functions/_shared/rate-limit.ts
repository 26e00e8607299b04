// Fixed-window rate limits per user and action, counted in the database
// (private.hit_rate_limit, migration 20261126002100) so a limit holds across
// every function instance. Each hit is its own short transaction as the
// calling user: a refused or failed attempt still counts.
//
//   await enforceRateLimit(limiter, ctx, { action: "pii.reveal", limit: 10, windowSeconds: 60 });
//   // over the limit → 429 rate_limited with Retry-After (seconds to the window's end)

import { sql } from "kysely";
import type { RequestContext } from "./context.ts";
import { type Db, withUser } from "./db.ts";
import { errors } from "./errors.ts";

export interface RateLimitRule {
  /** Dotted action name, e.g. "pii.reveal". */
  action: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  hits: number;
  retryAfterSeconds: number;
}

export interface RateLimiter {
  hit(ctx: RequestContext, rule: RateLimitRule): Promise<RateLimitResult>;
}

/** The counting statement; `.compile()` shows its shape. */
export function hitQuery(rule: RateLimitRule) {
  return sql<{ allowed: boolean; hits: number; retry_after_seconds: number }>`
    select allowed, hits, retry_after_seconds
    from private.hit_rate_limit(${rule.action}::text, ${rule.limit}::int, ${rule.windowSeconds}::int)`;
}

/** The database limiter: one user-scoped transaction per hit. */
export function createDbRateLimiter(db: Db): RateLimiter {
  return {
    async hit(ctx, rule) {
      const { rows: [r] } = await withUser(db, ctx, (trx) => hitQuery(rule).execute(trx));
      return { allowed: r.allowed, hits: r.hits, retryAfterSeconds: r.retry_after_seconds };
    },
  };
}

/** In-memory limiter (unit tests, single instance), same fixed-window arithmetic. */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const counts = new Map<string, number>();
  return {
    hit(ctx, rule) {
      const t = now() / 1000;
      const start = Math.floor(t / rule.windowSeconds) * rule.windowSeconds;
      const id = JSON.stringify([ctx.caller?.userId ?? null, rule.action, start]);
      const hits = (counts.get(id) ?? 0) + 1;
      counts.set(id, hits);
      return Promise.resolve({
        allowed: hits <= rule.limit,
        hits,
        retryAfterSeconds: Math.max(1, Math.ceil(start + rule.windowSeconds - t)),
      });
    },
  };
}

/** Counts one attempt; throws 429 rate_limited (with Retry-After) when over the limit. */
export async function enforceRateLimit(limiter: RateLimiter, ctx: RequestContext, rule: RateLimitRule): Promise<void> {
  const r = await limiter.hit(ctx, rule);
  if (!r.allowed) throw errors.rateLimited(r.retryAfterSeconds);
}
