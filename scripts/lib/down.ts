// Reverts migrations newest first with the scripts in sql/down/, removing each
// one's row from the CLI's history in the same transaction, so a later
// `db:migrate` re-applies exactly what was reverted.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { say, ToolError } from "./cli.ts";
import { withClient } from "./pg.ts";
import { appliedVersions } from "./migrate.ts";
import { downDir } from "./paths.ts";

export interface DownScript { version: string; file: string }

export function downScripts(dir = downDir): DownScript[] {
  return readdirSync(dir)
    .filter((f) => /^\d{14}_.+\.down\.sql$/.test(f))
    .map((f) => ({ version: f.slice(0, 14), file: join(dir, f) }))
    .sort((a, b) => b.version.localeCompare(a.version));
}

/** Reverts every applied migration newer than `to` (all of them without `to`). */
export async function down(url: string, opts: { to?: string; quiet?: boolean } = {}): Promise<string[]> {
  if (opts.to !== undefined && !/^\d{14}$/.test(opts.to)) {
    throw new ToolError(`--to takes a 14-digit migration version, not "${opts.to}"`);
  }
  const applied = new Set(await appliedVersions(url));
  const scripts = new Map(downScripts().map((s) => [s.version, s]));
  const targets = [...applied].filter((v) => opts.to === undefined || v > opts.to).sort().reverse();
  const missing = targets.filter((v) => !scripts.has(v));
  if (missing.length) throw new ToolError(`no down script in sql/down/ for ${missing.join(", ")}`);
  const reverted: string[] = [];
  await withClient(url, async (c) => {
    for (const version of targets) {
      const { file } = scripts.get(version)!;
      await c.query("begin");
      try {
        await c.query(readFileSync(file, "utf8"));
        await c.query("delete from supabase_migrations.schema_migrations where version = $1", [version]);
        await c.query("commit");
      } catch (err) {
        await c.query("rollback");
        throw new ToolError(`down script ${file} failed: ${(err as Error).message}`);
      }
      reverted.push(version);
      if (!opts.quiet) say(`reverted ${version}`);
    }
  });
  return reverted;
}
