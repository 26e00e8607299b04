// Idempotency-Key for POSTs that create things
// (draft-ietf-httpapi-idempotency-key-header):
//   - same key, same request, first one finished with 2xx → the stored
//     response is replayed (header `idempotent-replayed: true`), nothing runs;
//   - same key while the first is still running → 409 conflict;
//   - same key, different request body → 422 business_rule;
//   - a non-2xx outcome is not kept (nothing was written: every write runs in
//     one transaction), so the client may fix the request and retry.
// Keys are scoped to the caller and to "<METHOD> <path>". Records expire
// after `ttlSeconds` (default 24 h).
//
// Stores: in memory (tests, single instance) and the database table
// private.idempotency_keys, read and written as the calling user (RLS).
// Routes using this must not return plaintext protected fields: the 2xx
// response body is stored.

import type { MiddlewareHandler } from "hono";
import { sql } from "kysely";
import { type AppEnv, type RequestContext, requestContext } from "./context.ts";
import { type Db, withUser } from "./db.ts";
import { errors } from "./errors.ts";

export interface IdempotencyRequest {
  userId: string;
  /** "<METHOD> <path>" */
  scope: string;
  key: string;
  /** SHA-256 hex of the request (scope and body). */
  fingerprint: string;
  ttlSeconds: number;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type BeginResult =
  | { state: "started" }
  | { state: "in_progress" }
  | { state: "mismatch" }
  | { state: "replay"; response: StoredResponse };

export interface IdempotencyStore {
  begin(ctx: RequestContext, req: IdempotencyRequest): Promise<BeginResult>;
  complete(ctx: RequestContext, req: IdempotencyRequest, response: StoredResponse): Promise<void>;
  release(ctx: RequestContext, req: IdempotencyRequest): Promise<void>;
}

/** An in-progress record older than this is considered abandoned (crashed worker). */
export const LOCK_SECONDS = 60;

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export async function fingerprint(scope: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${scope}\n${body}`));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------
// middleware

export interface IdempotencyOptions {
  ttlSeconds?: number;
  /** Refuse POSTs without the header (400). Default: the header is optional. */
  required?: boolean;
}

export function idempotent(store: IdempotencyStore, options: IdempotencyOptions = {}): MiddlewareHandler<AppEnv> {
  const ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const key = c.req.header("idempotency-key");
    if (key === undefined) {
      if (options.required) {
        throw errors.invalidInput("This request needs an Idempotency-Key header.", {
          fields: { "Idempotency-Key": "Required" },
        });
      }
      return next();
    }
    if (!KEY_FORMAT.test(key)) {
      throw errors.invalidInput("The Idempotency-Key header is not valid.", {
        fields: { "Idempotency-Key": "Must be 1 to 255 visible ASCII characters" },
      });
    }
    const caller = c.get("caller");
    if (!caller?.userId) throw errors.unauthorized();

    const ctx = requestContext(c);
    const scope = `POST ${c.req.path}`;
    const req: IdempotencyRequest = {
      userId: caller.userId,
      scope,
      key,
      fingerprint: await fingerprint(scope, await c.req.text()),
      ttlSeconds,
    };

    const begun = await store.begin(ctx, req);
    switch (begun.state) {
      case "in_progress":
        throw errors.conflict("A request with this Idempotency-Key is still being processed.", {}, {
          headers: { "retry-after": "1" },
        });
      case "mismatch":
        throw errors.businessRule("This Idempotency-Key was already used for a different request.");
      case "replay":
        c.header("idempotent-replayed", "true");
        return c.json(begun.response.body as object, begun.response.status as 200);
    }

    try {
      await next();
    } catch (err) {
      await store.release(ctx, req).catch(() => {});
      throw err;
    }
    const status = c.res.status;
    if (status >= 200 && status < 300 && (c.res.headers.get("content-type") ?? "").includes("json")) {
      const body = await c.res.clone().json();
      await store.complete(ctx, req, { status, body });
    } else {
      await store.release(ctx, req);
    }
  };
}

// ---------------------------------------------------------------------------
// stores

interface MemoryRecord {
  fingerprint: string;
  response?: StoredResponse;
  lockedAt: number;
  expiresAt: number;
}

export function createMemoryIdempotencyStore(now: () => number = Date.now): IdempotencyStore {
  const records = new Map<string, MemoryRecord>();
  const id = (r: IdempotencyRequest) => JSON.stringify([r.userId, r.scope, r.key]);
  return {
    begin(_ctx, req) {
      const t = now();
      const existing = records.get(id(req));
      const abandoned = existing && !existing.response && existing.lockedAt < t - LOCK_SECONDS * 1000;
      if (!existing || existing.expiresAt <= t || abandoned) {
        records.set(id(req), { fingerprint: req.fingerprint, lockedAt: t, expiresAt: t + req.ttlSeconds * 1000 });
        return Promise.resolve({ state: "started" });
      }
      if (existing.fingerprint !== req.fingerprint) return Promise.resolve({ state: "mismatch" });
      if (!existing.response) return Promise.resolve({ state: "in_progress" });
      return Promise.resolve({ state: "replay", response: structuredClone(existing.response) });
    },
    complete(_ctx, req, response) {
      const r = records.get(id(req));
      if (r && r.fingerprint === req.fingerprint) r.response = structuredClone(response);
      return Promise.resolve();
    },
    release(_ctx, req) {
      const r = records.get(id(req));
      if (r && !r.response && r.fingerprint === req.fingerprint) records.delete(id(req));
      return Promise.resolve();
    },
  };
}

/** Query shapes, exported so tests can `.compile()` them. */
export const idempotencyQueries = {
  claim: (req: IdempotencyRequest) =>
    sql<{ claimed: boolean }>`
    insert into private.idempotency_keys as k (user_id, scope, key, fingerprint, expires_at)
    values ((select auth.uid()), ${req.scope}, ${req.key}, ${req.fingerprint}, now() + make_interval(secs => ${req.ttlSeconds}))
    on conflict (user_id, scope, key) do update
      set fingerprint = excluded.fingerprint, status = null, response_body = null,
          locked_at = now(), expires_at = excluded.expires_at
      where k.expires_at <= now()
         or (k.status is null and k.locked_at < now() - make_interval(secs => ${LOCK_SECONDS}))
    returning true as claimed`,
  read: (req: IdempotencyRequest) =>
    sql<{ fingerprint: string; status: number | null; response_body: unknown }>`
    select fingerprint, status, response_body from private.idempotency_keys
    where user_id = (select auth.uid()) and scope = ${req.scope} and key = ${req.key}`,
  complete: (req: IdempotencyRequest, response: StoredResponse) =>
    sql`
    update private.idempotency_keys
    set status = ${response.status}, response_body = ${JSON.stringify(response.body)}::jsonb
    where user_id = (select auth.uid()) and scope = ${req.scope} and key = ${req.key}
      and fingerprint = ${req.fingerprint} and status is null`,
  release: (req: IdempotencyRequest) =>
    sql`
    delete from private.idempotency_keys
    where user_id = (select auth.uid()) and scope = ${req.scope} and key = ${req.key}
      and fingerprint = ${req.fingerprint} and status is null`,
};

/** The database store (migration 20261126001100_idempotency); each call is one short user transaction. */
export function createDbIdempotencyStore(db: Db): IdempotencyStore {
  return {
    begin(ctx, req) {
      return withUser(db, ctx, async (trx) => {
        const claimed = await idempotencyQueries.claim(req).execute(trx);
        if (claimed.rows.length) return { state: "started" } as const;
        const { rows: [row] } = await idempotencyQueries.read(req).execute(trx);
        if (!row) return { state: "in_progress" } as const; // raced with a release; let the client retry
        if (row.fingerprint !== req.fingerprint) return { state: "mismatch" } as const;
        if (row.status === null) return { state: "in_progress" } as const;
        return { state: "replay", response: { status: row.status, body: row.response_body } } as const;
      });
    },
    async complete(ctx, req, response) {
      await withUser(db, ctx, (trx) => idempotencyQueries.complete(req, response).execute(trx));
    },
    async release(ctx, req) {
      await withUser(db, ctx, (trx) => idempotencyQueries.release(req).execute(trx));
    },
  };
}
