// The throwaway test database (KAZI_TEST_DB_URL, superuser): for fixtures
// and for asserting what a request really wrote (audit rows, ciphertext).

import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { env } from "./env.ts";

// deno-lint-ignore no-explicit-any
export type AnyDb = Kysely<any>;

export function testDb(): AnyDb {
  if (!env.testDbUrl) throw new Error("KAZI_TEST_DB_URL is not set");
  const pool = new pg.Pool({ connectionString: env.testDbUrl, max: 2, connectionTimeoutMillis: 3000 });
  pool.on("error", () => {});
  // deno-lint-ignore no-explicit-any
  return new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens the test database for fn and always closes it. */
export async function withTestDb<T>(fn: (db: AnyDb) => Promise<T>): Promise<T> {
  const db = testDb();
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Creates an auth.users row (what Supabase Auth does at sign-up) and returns its id. */
export async function createAuthUser(
  db: AnyDb,
  email = `user-${crypto.randomUUID()}@test.kazi.example`,
): Promise<{ id: string; email: string }> {
  const id = crypto.randomUUID();
  await sql`insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
            values (${id}, 'authenticated', 'authenticated', ${email}, now(), '{"provider":"email"}', '{}')`.execute(
    db,
  );
  return { id, email };
}
