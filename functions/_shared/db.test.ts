import assert from "node:assert/strict";
import { sql } from "kysely";
import type { RequestContext } from "./context.ts";
import { actAsQuery, asService, createDb, latestMigration, oneStatementAsUser, requestHeadersJson, withUser } from "./db.ts";
import { AppError } from "./errors.ts";
import { NO_DB_MESSAGE, testDbConfig, testDbUrl } from "./test-support.ts";

const url = testDbUrl();
if (!url) console.warn(NO_DB_MESSAGE);

function ctxFor(sub: string): RequestContext {
  const now = Math.floor(Date.now() / 1000);
  return {
    requestId: "req-db-test-0001",
    ip: "198.51.100.7",
    userAgent: "kazi-tests/1",
    method: "GET",
    path: "/x/y",
    caller: {
      userId: sub,
      role: "authenticated",
      claims: { sub, role: "authenticated", iss: "i", aud: "authenticated", exp: now + 60, email: "a@b.example" },
    },
  };
}

Deno.test("the act-as statement sets role, claims and headers locally (query shape)", () => {
  const ctx = ctxFor("00000000-0000-4000-8000-000000000001");
  const { sql: text, parameters } = actAsQuery("authenticated", ctx.caller!.claims, ctx).compile(
    createDb(testDbConfig("postgresql://nobody@127.0.0.1:1/none")).db,
  );
  assert.match(text, /set_config\('role', \$1, true\)/);
  assert.match(text, /set_config\('request\.jwt\.claims', \$2, true\)/);
  assert.match(text, /set_config\('request\.jwt\.claim\.sub', \$3, true\)/);
  assert.match(text, /set_config\('request\.headers', \$4, true\)/);
  assert.equal(parameters[0], "authenticated");
  assert.equal(JSON.parse(parameters[1] as string).sub, ctx.caller!.userId);
  assert.equal(parameters[2], ctx.caller!.userId);
  assert.deepEqual(JSON.parse(requestHeadersJson(ctx)), {
    "x-forwarded-for": "198.51.100.7",
    "user-agent": "kazi-tests/1",
    "x-request-id": "req-db-test-0001",
  });
});

Deno.test({
  name: "withUser runs as role authenticated with the caller's claims and headers, and nothing leaks to the pool",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!, { poolMax: 1 }));
    try {
      const sub = crypto.randomUUID();
      const row = await withUser(db, ctxFor(sub), async (trx) => {
        const { rows } = await sql<
          { cu: string; uid: string; role: string; email: string; ua: string; rid: string; ip: string }
        >`
          select current_user as cu, auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'email' as email,
                 current_setting('request.headers', true)::jsonb ->> 'user-agent' as ua,
                 current_setting('request.headers', true)::jsonb ->> 'x-request-id' as rid,
                 current_setting('request.headers', true)::jsonb ->> 'x-forwarded-for' as ip`.execute(trx);
        return rows[0];
      });
      assert.deepEqual(row, {
        cu: "authenticated",
        uid: sub,
        role: "authenticated",
        email: "a@b.example",
        ua: "kazi-tests/1",
        rid: "req-db-test-0001",
        ip: "198.51.100.7",
      });
      // Same single pooled connection, outside the transaction: back to the login role, no claims.
      const { rows: [after] } = await sql<{ cu: string; claims: string | null }>`
        select current_user as cu, nullif(current_setting('request.jwt.claims', true), '') as claims`.execute(db);
      assert.equal(after.cu, "postgres");
      assert.equal(after.claims, null);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "oneStatementAsUser runs its statement in one transaction as the caller, commits it, and rolls back on an error",
  ignore: !url,
  async fn() {
    // one connection: what one transaction leaves behind, the next sees
    const { db } = createDb(testDbConfig(url!, { poolMax: 1 }));
    try {
      const sub = crypto.randomUUID();
      const ctx = ctxFor(sub);
      const [who] = await oneStatementAsUser(
        db,
        ctx,
        sql<{ cu: string; uid: string; rid: string; open: boolean }>`
          select current_user as cu, auth.uid()::text as uid,
                 current_setting('request.headers', true)::jsonb ->> 'x-request-id' as rid,
                 now() = statement_timestamp() as open`.compile(db),
      );
      // now() is the transaction's start, before this statement's: it ran inside begin … commit
      assert.deepEqual(who, { cu: "authenticated", uid: sub, rid: "req-db-test-0001", open: false });

      await sql`create temporary table one_statement_probe (n integer)`.execute(db);
      await sql`grant all on one_statement_probe to authenticated`.execute(db);
      const inserted = await oneStatementAsUser(
        db,
        ctx,
        sql<{ n: number }>`insert into one_statement_probe values (1), (2) returning n`.compile(db),
      );
      assert.deepEqual(inserted.map((r) => r.n), [1, 2]);
      await assert.rejects(
        oneStatementAsUser(db, ctx, sql`insert into one_statement_probe values (3), (1 / 0)`.compile(db)),
        (e) => e instanceof AppError && e.code === "invalid_input",
      );
      // committed the first, nothing of the second; the connection is back to the login role
      const { rows: [after] } = await sql<{ total: number; cu: string; claims: string | null }>`
        select (select sum(n)::int from one_statement_probe) as total, current_user as cu,
               nullif(current_setting('request.jwt.claims', true), '') as claims`.execute(db);
      assert.deepEqual(after, { total: 3, cu: "postgres", claims: null });

      await assert.rejects(
        oneStatementAsUser(db, { requestId: "r-00000000", ip: null, userAgent: null }, sql`select 1`.compile(db)),
        (e) => e instanceof AppError && e.code === "unauthorized",
      );
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "asService runs as service_role and keeps the acting user visible to triggers",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const sub = crypto.randomUUID();
      const row = await asService(
        db,
        ctxFor(sub),
        async (trx) =>
          (await sql<
            { cu: string; uid: string; role: string }
          >`select current_user as cu, auth.uid()::text as uid, auth.role() as role`.execute(trx)).rows[0],
      );
      assert.deepEqual(row, { cu: "service_role", uid: sub, role: "service_role" });
      const system = await asService(
        db,
        { requestId: "req-system-0001", ip: null, userAgent: null },
        async (trx) =>
          (await sql<{ cu: string; uid: string | null }>`select current_user as cu, auth.uid()::text as uid`.execute(
            trx,
          )).rows[0],
      );
      assert.deepEqual(system, { cu: "service_role", uid: null });
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name:
    "withUser maps database errors (42501 → 403, 22xxx → 400, our raise → 422) and refuses a context without a user",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const ctx = ctxFor(crypto.randomUUID());
      await assert.rejects(
        withUser(db, ctx, (trx) => sql`select * from auth.users`.execute(trx)),
        (e) => e instanceof AppError && e.code === "forbidden" && !e.message.includes("users"),
      );
      await assert.rejects(
        withUser(db, ctx, (trx) => sql`select 'x'::int`.execute(trx)),
        (e) => e instanceof AppError && e.code === "invalid_input",
      );
      await assert.rejects(
        withUser(
          db,
          ctx,
          (trx) =>
            sql`do $$ begin raise exception 'Probation must end after it starts.' using errcode = 'KZ001', hint = 'Check the dates.'; end $$`
              .execute(trx),
        ),
        (e) =>
          e instanceof AppError && e.code === "business_rule" && e.message === "Probation must end after it starts." &&
          e.details.hint === "Check the dates.",
      );
      await assert.rejects(
        withUser(db, { requestId: "r-00000000", ip: null, userAgent: null }, () => Promise.resolve(1)),
        (e) => e instanceof AppError && e.code === "unauthorized",
      );
      // An AppError thrown by the callback passes through unchanged and rolls back.
      await assert.rejects(
        withUser(db, ctx, () => Promise.reject(new AppError("conflict", "mine"))),
        (e) => e instanceof AppError && e.code === "conflict" && e.message === "mine",
      );
    } finally {
      await db.destroy();
    }
  },
});

Deno.test("a database that cannot be reached is 503 unavailable, quickly", async () => {
  const { db } = createDb(testDbConfig("postgresql://postgres@127.0.0.1:1/none", { connectTimeoutMs: 1000 }));
  const started = Date.now();
  try {
    await assert.rejects(
      withUser(db, ctxFor(crypto.randomUUID()), (trx) => sql`select 1`.execute(trx)),
      (e) => e instanceof AppError && e.code === "unavailable",
    );
    await assert.rejects(latestMigration(db), (e) => e instanceof AppError && e.code === "unavailable");
  } finally {
    await db.destroy();
  }
  assert.ok(Date.now() - started < 3000);
});

Deno.test({
  name: "latestMigration reads the Supabase CLI's migration table",
  ignore: !url,
  async fn() {
    const { db } = createDb(testDbConfig(url!));
    try {
      const v = await latestMigration(db);
      assert.match(v ?? "", /^\d{14}$/);
      const { rows: [m] } = await sql<
        { v: string }
      >`select max(version) as v from supabase_migrations.schema_migrations`.execute(db);
      assert.equal(v, m.v);
    } finally {
      await db.destroy();
    }
  },
});

Deno.test("bytea text parsing: the native hex path gives the Buffer pg's own parser gives", async () => {
  const pg = (await import("pg")).default;
  const { parseByteaText, poolTypes } = await import("./db.ts");
  const original = pg.types.getTypeParser(17, "text");
  for (const text of ["\\x", "\\x00ff10", "\\xDEADbeef", "abc\\\\def\\001", ""]) {
    const a = original(text) as Uint8Array;
    const b = parseByteaText(text) as Uint8Array;
    assert.equal(b.constructor, a.constructor, text);
    assert.deepEqual([...b], [...a], text);
  }
  assert.equal(poolTypes.getTypeParser(17, "text"), parseByteaText);
  assert.equal(poolTypes.getTypeParser(1184, "text"), pg.types.getTypeParser(1184, "text"), "other types as pg parses them");
});

Deno.test({
  name: "parameterised queries become named prepared statements of their connection; off when configured so",
  ignore: !url,
  async fn() {
    const marker = `prep-${crypto.randomUUID()}`;
    const preparedOnConnection = async (preparedStatements: boolean) => {
      const { db } = createDb(testDbConfig(url!, { poolMax: 1, preparedStatements }));
      try {
        for (let i = 0; i < 3; i++) await sql`select ${marker}::text as m, ${i}::int as i`.execute(db);
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_prepared_statements where statement like ${`%${"$"}1::text as m%`}`.execute(db);
        return rows[0].n;
      } finally {
        await db.destroy();
      }
    };
    assert.equal(await preparedOnConnection(true), 1, "the same text is prepared once and reused");
    assert.equal(await preparedOnConnection(false), 0);
  },
});

Deno.test({
  name: "a prepared statement whose result columns changed (a migration) costs one error, then the pool recovers",
  ignore: !url,
  async fn() {
    const table = `prep_${crypto.randomUUID().replaceAll("-", "")}`;
    const { db } = createDb(testDbConfig(url!, { poolMax: 1 }));
    try {
      await sql`create table ${sql.id("public", table)} (id int primary key, a text)`.execute(db);
      await sql`insert into ${sql.id("public", table)} values (1, 'one')`.execute(db);
      const read = () => sql<{ id: number }>`select * from ${sql.id("public", table)} where id = ${1}`.execute(db);
      const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0].pid;
      assert.equal((await read()).rows.length, 1);
      const before = await pid();
      await sql`alter table ${sql.id("public", table)} add column b text`.execute(db);
      await assert.rejects(read(), (err: Error & { code?: string }) => err.code === "0A000");
      // the connection holding the stale statement was closed, not returned to the pool
      assert.notEqual(await pid(), before);
      assert.deepEqual(Object.keys((await read()).rows[0]).sort(), ["a", "b", "id"]);
    } finally {
      await sql`drop table if exists ${sql.id("public", table)}`.execute(db);
      await db.destroy();
    }
  },
});

Deno.test({
  name: "a transaction's begin and act-as go out together (one round trip); its callback runs after both answered",
  ignore: !url,
  async fn() {
    const { db, pool } = createDb(testDbConfig(url!, { poolMax: 1 }));
    const events: string[] = [];
    const label = (text: unknown) => String(typeof text === "object" ? (text as { text: string }).text : text).trim().split(/\s+/).slice(0, 2).join(" ");
    pool.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
        events.push(`sent ${label(text)}`);
        return query(text, ...rest).finally(() => events.push(`answered ${label(text)}`));
      };
    });
    try {
      await withUser(db, ctxFor(crypto.randomUUID()), async (trx) => {
        events.push("callback");
        await sql`select 1`.execute(trx);
      });
      assert.deepEqual(events.slice(0, 5), ["sent begin", "sent select set_config('role',", "answered begin", "answered select set_config('role',", "callback"]);
      assert.equal(events.at(-1), "answered commit");
    } finally {
      await db.destroy();
    }
  },
});

Deno.test({
  name: "an error the callback swallowed still rolls the transaction back, and the caller gets an error",
  ignore: !url,
  async fn() {
    const table = `tx_probe_${crypto.randomUUID().replaceAll("-", "")}`;
    const { db } = createDb(testDbConfig(url!, { poolMax: 1 }));
    try {
      await sql`create table ${sql.id("public", table)} (v int)`.execute(db);
      await sql`grant insert, select on ${sql.id("public", table)} to service_role`.execute(db);
      await assert.rejects(
        asService(db, ctxFor(crypto.randomUUID()), async (trx) => {
          await sql`insert into ${sql.id("public", table)} values (1)`.execute(trx);
          await sql`select 1 / 0`.execute(trx).catch(() => {});
          return "looks done";
        }),
        (e) => e instanceof AppError && e.status === 500,
      );
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.id("public", table)}`.execute(db);
      assert.equal(rows[0].n, 0);
    } finally {
      await sql`drop table if exists ${sql.id("public", table)}`.execute(db);
      await db.destroy();
    }
  },
});
