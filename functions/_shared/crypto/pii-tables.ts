/**
 * Where PII ciphertext lives, found from the catalogue rather than listed by
 * hand: every public table with `id uuid`, `tenant_id` and a
 * `<field>_ciphertext` bytea column for a PII field. Plus the key-version
 * predicates rotation uses (the version is bytes 1..4 of the stored value,
 * compared as big-endian bytes with `int4send`).
 */
import { sql } from "kysely";
import { PII_FIELDS } from "../pii/fields.ts";
import type { AnyDb } from "./data-keys.ts";

export interface PiiTable {
  table: string;
  columns: string[];
}

const PII_COLUMNS = PII_FIELDS.map((f) => `${f}_ciphertext`);

/** Public tables holding PII ciphertext (id uuid + tenant_id + <field>_ciphertext). */
export async function discoverPiiTables(db: AnyDb): Promise<PiiTable[]> {
  const { rows } = await sql<{ table_name: string; columns: string[] }>`
    select c.table_name, array_agg(c.column_name::text order by c.column_name) as columns
    from information_schema.columns c
    where c.table_schema = 'public' and c.data_type = 'bytea' and c.column_name = any(${PII_COLUMNS}::text[])
      and exists (select from information_schema.columns i where i.table_schema = 'public'
                  and i.table_name = c.table_name and i.column_name = 'id' and i.data_type = 'uuid')
      and exists (select from information_schema.columns t where t.table_schema = 'public'
                  and t.table_name = c.table_name and t.column_name = 'tenant_id')
    group by c.table_name order by c.table_name`.execute(db);
  return rows.map((r) => ({ table: r.table_name, columns: r.columns }));
}

/** SQL: any ciphertext column of the row was made with a key version older than `target`. */
export function olderThan(columns: string[], target: number) {
  return sql.join(
    columns.map((c) => sql`coalesce(substring(${sql.ref(c)} from 2 for 4) < int4send(${target}::int), false)`),
    sql` or `,
  );
}

/** Rows (all tables) of a tenant still holding a ciphertext older than `target`. */
export async function countOlderRows(db: AnyDb, tenantId: string, target: number, tables?: PiiTable[]): Promise<number> {
  let n = 0;
  for (const t of tables ?? await discoverPiiTables(db)) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`public.${t.table}`)}
      where tenant_id = ${tenantId}::uuid and (${olderThan(t.columns, target)})`.execute(db);
    n += rows[0].n;
  }
  return n;
}

/** Rows (all tables) of a tenant holding a ciphertext made with exactly `version`. */
export async function countRowsUsingVersion(db: AnyDb, tenantId: string, version: number, tables?: PiiTable[]) {
  let n = 0;
  for (const t of tables ?? await discoverPiiTables(db)) {
    const uses = sql.join(
      t.columns.map((c) => sql`coalesce(substring(${sql.ref(c)} from 2 for 4) = int4send(${version}::int), false)`),
      sql` or `,
    );
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`public.${t.table}`)}
      where tenant_id = ${tenantId}::uuid and (${uses})`.execute(db);
    n += rows[0].n;
  }
  return n;
}
