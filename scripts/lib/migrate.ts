// Brings a database to the latest schema: the Supabase shim where the stack's
// own pieces are missing, then the real Supabase CLI applies supabase/migrations.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import type pg from "pg";
import { say, ToolError } from "./cli.ts";
import { withClient } from "./pg.ts";
import { forSupabaseCli } from "./db-url.ts";
import { bin, repoRoot, shimFile } from "./paths.ts";

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, async (c) => {
    const { rowCount } = await c.query("select 1 from pg_database where datname = $1", [name]);
    if (!rowCount) await c.query(`create database ${quoteIdent(name)}`);
  });
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(serverUrl, (c) => c.query(`drop database if exists ${quoteIdent(name)} with (force)`));
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Applies the shim only where Supabase does not already provide `auth`. */
export async function bootstrapIfNeeded(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query("select to_regnamespace('auth') is not null as has_auth");
  if (rows[0].has_auth) return false;
  await client.query("begin");
  try {
    await client.query(readFileSync(shimFile, "utf8"));
    await client.query("commit");
  } catch (err) {
    await client.query("rollback");
    throw err;
  }
  return true;
}

export async function migrate(url: string, opts: { workdir?: string; quiet?: boolean } = {}): Promise<void> {
  const shimmed = await withClient(url, bootstrapIfNeeded);
  if (shimmed && !opts.quiet) say("applied the Supabase shim (plain Postgres: roles, auth schema)");
  const result = spawnSync(
    bin("supabase"),
    ["migration", "up", "--include-all", "--workdir", opts.workdir ?? repoRoot, "--db-url", forSupabaseCli(url)],
    { encoding: "utf8", env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1" } },
  );
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0) {
    throw new ToolError(`migration failed (earlier migrations stay applied, the failed one is not recorded):\n${output}`);
  }
  if (!opts.quiet) say(output.split("\n").filter((l) => l.startsWith("Applying")).join("\n      ") || "schema up to date");
}

export async function appliedVersions(url: string): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      "select version from supabase_migrations.schema_migrations order by version",
    ).catch(() => ({ rows: [] as { version: string }[] }));
    return rows.map((r: { version: string }) => r.version);
  });
}
