/**
 * Test support for DB-backed crypto tests: a Kysely handle on KAZI_TEST_DB_URL
 * (superuser URL of a migrated scratch DB) and fixture rows. The fixture
 * builder fills the NOT NULL columns without defaults generically, so the
 * tests do not depend on every business column of the tenancy tables.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { AnyDb } from "./data-keys.ts";

export const TEST_DB_URL = Deno.env.get("KAZI_TEST_DB_URL");
export const SKIP_DB_MESSAGE = "KAZI_TEST_DB_URL is not set: skipping database-backed crypto tests";

const createdTenants = new WeakMap<AnyDb, string[]>();

/**
 * A pool on the test database. `close()` deletes the tenants this handle
 * created (their employees, onboarding cases, data keys and rotation jobs go
 * with them by cascade), so other suites sharing the database see no residue.
 * Audit rows stay: they are append-only by design.
 */
export function openTestDb(max = 4, url = TEST_DB_URL): { db: AnyDb; close: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", () => {});
  const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) }) as AnyDb;
  createdTenants.set(db, []);
  return {
    db,
    close: async () => {
      try {
        const ids = createdTenants.get(db) ?? [];
        if (ids.length) await sql`delete from public.tenants where id = any(${ids}::uuid[])`.execute(db);
      } finally {
        await db.destroy();
      }
    },
  };
}

interface ColumnInfo {
  column_name: string;
  data_type: string;
  udt_schema: string;
  udt_name: string;
  fk_table: string | null;
}

const columnCache = new Map<string, ColumnInfo[]>();

async function requiredColumns(db: AnyDb, table: string): Promise<ColumnInfo[]> {
  const hit = columnCache.get(table);
  if (hit) return hit;
  const { rows } = await sql<ColumnInfo>`
    select c.column_name, c.data_type, c.udt_schema, c.udt_name,
      (select ccu.table_schema || '.' || ccu.table_name
         from information_schema.key_column_usage k
         join information_schema.referential_constraints r
           on r.constraint_name = k.constraint_name and r.constraint_schema = k.constraint_schema
         join information_schema.constraint_column_usage ccu
           on ccu.constraint_name = r.unique_constraint_name and ccu.constraint_schema = r.unique_constraint_schema
        where k.table_schema = c.table_schema and k.table_name = c.table_name and k.column_name = c.column_name
        limit 1) as fk_table
    from information_schema.columns c
    where c.table_schema = 'public' and c.table_name = ${table}
      and c.is_nullable = 'NO' and c.column_default is null and c.is_identity = 'NO'
      and c.is_generated = 'NEVER'`.execute(db);
  columnCache.set(table, rows);
  return rows;
}

async function fillerFor(db: AnyDb, c: ColumnInfo, given: Record<string, unknown>): Promise<unknown> {
  const tag = crypto.randomUUID().slice(0, 8);
  if (c.fk_table === "public.tenants" && given.tenant_id) return given.tenant_id;
  if (c.fk_table === "auth.users") {
    const id = crypto.randomUUID();
    await sql`insert into auth.users (id, email) values (${id}::uuid, ${`${tag}@example.test`})`.execute(db);
    return id;
  }
  if (c.data_type === "USER-DEFINED") {
    const { rows } = await sql<{ label: string }>`
      select e.enumlabel as label from pg_enum e join pg_type t on t.oid = e.enumtypid
      join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = ${c.udt_schema} and t.typname = ${c.udt_name} order by e.enumsortorder limit 1`.execute(db);
    return rows[0]?.label;
  }
  if (c.column_name.includes("email")) return `${tag}@example.test`;
  switch (c.data_type) {
    case "uuid": return crypto.randomUUID();
    case "boolean": return false;
    case "date": return "2026-01-05";
    case "timestamp with time zone": return new Date().toISOString();
    case "integer": case "bigint": case "smallint": case "numeric": return 1;
    case "jsonb": case "json": return "{}";
    case "ARRAY": return "{}";
    default: return c.column_name.includes("slug") ? `t-${tag}` : `test ${c.column_name} ${tag}`;
  }
}

/** Inserts a row with `values` plus generic fillers for required columns; returns its id. */
export async function insertFixture(db: AnyDb, table: string, values: Record<string, unknown>): Promise<string> {
  const row: Record<string, unknown> = { ...values };
  for (const c of await requiredColumns(db, table)) {
    if (!(c.column_name in row) && c.column_name !== "id") row[c.column_name] = await fillerFor(db, c, row);
  }
  const cols = Object.keys(row);
  const { rows } = await sql<{ id: string }>`
    insert into ${sql.table(`public.${table}`)} (${sql.join(cols.map((c) => sql.ref(c)))})
    values (${sql.join(cols.map((c) => sql`${row[c]}`))}) returning id`.execute(db);
  return rows[0].id;
}

export async function createTenant(db: AnyDb): Promise<string> {
  const id = await insertFixture(db, "tenants", {});
  createdTenants.get(db)?.push(id);
  return id;
}
