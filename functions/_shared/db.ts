// Database access: Kysely over one pooled pg connection per function.
//
// A request acting for a user runs in ONE transaction as that user, set up the
// way PostgREST does it, so RLS and the audit triggers see the caller:
//   select set_config('role', 'authenticated', true),
//          set_config('request.jwt.claims', <claims json>, true),
//          set_config('request.jwt.claim.sub', <sub>, true),
//          set_config('request.headers', <{"x-forwarded-for","user-agent","x-request-id"}>, true)
// `true` makes every setting local to the transaction, so nothing leaks to the
// next user of the pooled connection.
//
// The service role is confined to `asService` (and the audit sink): only for
// actions that are explicitly admin/system ones, which the caller audits.

import { CompiledQuery, Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { Buffer } from "node:buffer";
import type { DbConfig } from "./config.ts";
import type { JwtClaims, RequestContext } from "./context.ts";
import type { Database } from "./database-types.ts";
import { errors, fromPgError, isAppError } from "./errors.ts";

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

// bytea (oid 17) in the text format: pg's default parser turns the `\x…` hex
// into a Buffer with a JS loop (per row and column: a page of 50 employees
// is 200 of them). The native Uint8Array.fromHex does the same decoding;
// the result is still a Buffer (a view over its own bytes). Anything not in
// the hex form (bytea_output = escape) goes to pg's own parser.
type FromHex = (hex: string) => Uint8Array;
const nativeFromHex = (Uint8Array as unknown as { fromHex?: FromHex }).fromHex;
const BYTEA_OID = 17;

export function parseByteaText(text: string): unknown {
  if (nativeFromHex && text.length >= 2 && text.charCodeAt(0) === 92 /* \\ */ && text.charCodeAt(1) === 120 /* x */) {
    const bytes = nativeFromHex(text.slice(2));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return pg.types.getTypeParser(BYTEA_OID, "text")(text);
}

/** pg's type parsers, with the faster bytea one above; every other type as pg parses it. */
export const poolTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === BYTEA_OID && (format ?? "text") === "text") return parseByteaText;
    // deno-lint-ignore no-explicit-any
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

export function createPool(config: DbConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    types: poolTypes,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Server-side guard: a runaway statement is cancelled (57014 → 503).
    statement_timeout: config.statementTimeoutMs,
    application_name: "kazi-functions",
    // Statements queued on a connection go out without waiting for the one
    // before to answer (each still ends in its own Sync, so results and
    // errors stay per statement): a transaction's begin and act-as cost one
    // round trip, not two (inTransaction).
    pipeline: true,
  });
  // An idle client losing its connection must not crash the function.
  pool.on("error", () => {});
  // Nor may a client a request holds: when the server drops it (a restart,
  // admin_shutdown) node-pg emits 'error' on that client, and with no
  // listener that is an uncaught error that ends the whole process. The
  // request's own query still fails (→ 503) and the pool discards the broken
  // client when it is released.
  pool.on("connect", (client) => void client.on("error", () => {}));
  if (config.preparedStatements !== false) usePreparedStatements(pool);
  return pool;
}

// Statement text → its prepared statement's name, shared by every connection.
const statementNames = new Map<string, string>();
const MAX_PREPARED_STATEMENTS = 2000;
// Connections holding a prepared statement Postgres can no longer run.
const stale = new WeakSet<object>();

/**
 * Makes every parameterised query of the pool's connections a named prepared statement
 * (parsed, rewritten and planned once per connection, as postgres.js and
 * PostgREST do). Postgres replans by itself when a table, policy or function
 * a plan depends on changes, and when the role or search_path differs. What
 * it cannot do is change a prepared statement's result columns (after a
 * migration): that error marks the connection stale, and it is closed
 * instead of going back to the pool.
 */
export function usePreparedStatements(pool: pg.Pool): void {
  pool.on("connect", prepareStatements);
}

function prepareStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text !== "string" || !Array.isArray(values) || values.length === 0 || callback !== undefined) {
      return query(text, values, callback);
    }
    let name = statementNames.get(text);
    if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) {
      statementNames.set(text, name = `kazi_${statementNames.size}`);
    }
    if (name === undefined) return query(text, values);
    return (query({ name, text, values }) as Promise<unknown>).catch((err) => {
      if ((err as { code?: string })?.code === "0A000") stale.add(client); // cached plan must not change result type
      throw err;
    });
  };
}

/** The pool as Kysely sees it: a stale connection is closed when released. */
function closingStale(pool: pg.Pool) {
  return {
    async connect() {
      const client = await pool.connect();
      const release = client.release;
      client.release = (err?: Error | boolean) => release(err || stale.has(client));
      return client;
    },
    end: () => pool.end(),
    options: pool.options,
  };
}

export function createDb(config: DbConfig): { db: Db; pool: pg.Pool } {
  const pool = createPool(config);
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: closingStale(pool) }) }), pool };
}

/** The `request.headers` JSON PostgREST would set, from our request context. */
export function requestHeadersJson(ctx: RequestContext): string {
  const headers: Record<string, string> = {};
  if (ctx.ip) headers["x-forwarded-for"] = ctx.ip;
  if (ctx.userAgent) headers["user-agent"] = ctx.userAgent;
  headers["x-request-id"] = ctx.requestId;
  return JSON.stringify(headers);
}

/** One statement that makes the transaction act as `role` with `claims`. */
export function actAsQuery(
  role: "authenticated" | "service_role",
  claims: Record<string, unknown>,
  ctx: RequestContext,
) {
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  // request.jwt.claim.sub as well (PostgREST's older per-claim setting):
  // auth.uid() reads it first, so the policies and triggers that call it
  // many times per statement need not parse the claims JSON each time.
  return sql`select
    set_config('role', ${role}, true),
    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
    set_config('request.jwt.claim.sub', ${sub}, true),
    set_config('request.headers', ${requestHeadersJson(ctx)}, true),
    set_config('request.method', ${ctx.method ?? ""}, true),
    set_config('request.path', ${ctx.path ?? ""}, true)`;
}

const BEGIN = CompiledQuery.raw("begin");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");

/**
 * One transaction on one pooled connection: `begin` and the act-as statement
 * are written together (the pool pipelines) and both answered before fn
 * runs, so fn never runs outside the transaction or as the wrong role; then
 * commit, or rollback when anything failed. Kysely's own transaction() waits
 * for `begin` before sending anything else: a round trip more per request,
 * and the connection held through an extra turn of the event loop.
 */
async function inTransaction<T>(
  db: Db,
  actAs: CompiledQuery,
  fn: (trx: Trx) => Promise<T>,
): Promise<T> {
  try {
    return await db.connection().execute(async (conn) => {
      const open = conn.getExecutor().provideConnection((c) => Promise.all([c.executeQuery(BEGIN), c.executeQuery(actAs)]));
      let result: T;
      try {
        await open;
        // the connection-bound Kysely is the transaction: every statement of fn goes to it
        result = await fn(conn as unknown as Trx);
      } catch (err) {
        // a failed rollback means a broken connection, which the pool drops on release
        await conn.executeQuery(ROLLBACK).catch(() => {});
        throw err;
      }
      assertCommitted(await conn.executeQuery<{ command?: string }>(COMMIT));
      return result;
    });
  } catch (err) {
    throw asAppError(err);
  }
}

// Postgres answers COMMIT with ROLLBACK when an earlier statement's error was caught and ignored
function assertCommitted(commit: { rows: { command?: string }[] }): void {
  if (commit.rows[0]?.command === "ROLLBACK") throw new Error("transaction rolled back at commit");
}

// AppErrors thrown by a transaction's callback pass through; database errors are mapped once, here.
function asAppError(err: unknown): unknown {
  return isAppError(err) ? err : fromPgError(err);
}

/** The act-as statement for the verified caller, or `unauthorized` when the context carries none. */
function actAsCaller(db: Db, ctx: RequestContext): CompiledQuery {
  const caller = ctx.caller;
  if (!caller || caller.role !== "authenticated" || !caller.userId) throw errors.unauthorized();
  return actAsQuery("authenticated", caller.claims, ctx).compile(db);
}

/**
 * Runs fn in one transaction as the verified caller (role authenticated).
 * Throws `unauthorized` when the context carries no authenticated caller.
 */
export async function withUser<T>(db: Db, ctx: RequestContext, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return await inTransaction(db, actAsCaller(db, ctx), fn);
}

/**
 * withUser for a transaction that is exactly one statement, in one round
 * trip: begin, the act-as statement, `query` and commit are written together
 * (the pool pipelines) and Postgres runs them in that order, so the query
 * never runs outside the transaction or as the wrong role. An error in any of
 * them aborts the transaction (commit then answers ROLLBACK) and is thrown
 * as withUser throws it. Returns the query's rows. For work whose result
 * decides nothing else inside the transaction (a guarded update that says by
 * its rows whether it applied).
 */
export async function oneStatementAsUser<R>(db: Db, ctx: RequestContext, query: CompiledQuery<R>): Promise<R[]> {
  const actAs = actAsCaller(db, ctx);
  try {
    return await db.connection().execute((conn) =>
      conn.getExecutor().provideConnection(async (c) => {
        // every answer awaited before the connection goes back to the pool
        const steps = await Promise.allSettled([
          c.executeQuery(BEGIN), c.executeQuery(actAs), c.executeQuery(query), c.executeQuery(COMMIT),
        ]);
        const [, , ran, committed] = steps.map((step) => {
          if (step.status === "rejected") throw step.reason;
          return step.value;
        });
        assertCommitted(committed as { rows: { command?: string }[] });
        return ran.rows as R[];
      })
    );
  } catch (err) {
    throw asAppError(err);
  }
}

/**
 * Runs fn in one transaction as service_role (bypasses RLS). For explicit
 * admin/system actions only; the caller records an audit event for it
 * (audit.recordInTransaction inside fn keeps both atomic). The acting user's
 * claims stay visible to triggers, with role service_role.
 */
export function asService<T>(db: Db, ctx: RequestContext, fn: (trx: Trx) => Promise<T>): Promise<T> {
  const claims: Partial<JwtClaims> & { role: "service_role" } = { ...(ctx.caller?.claims ?? {}), role: "service_role" };
  return inTransaction(db, actAsQuery("service_role", claims, ctx).compile(db), fn);
}

/** The latest applied migration version, or null when the CLI table is absent. */
export async function latestMigration(db: Db): Promise<string | null> {
  try {
    const row = await db
      .selectFrom("supabase_migrations.schema_migrations")
      .select((eb) => eb.fn.max("version").as("version"))
      .executeTakeFirst();
    return row?.version ?? null;
  } catch (err) {
    if ((err as { code?: unknown })?.code === "42P01" || (err as { code?: unknown })?.code === "3F000") return null;
    throw fromPgError(err);
  }
}
