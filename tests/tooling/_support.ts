// Helpers for tests that drive the npm scripts as a user would.
import { fileURLToPath } from "node:url";
import pg from "pg";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const serverUrl = Deno.env.get("KAZI_TEST_SERVER_URL");

/** Skips a test with a visible reason when the runner gave no database server. */
export const needsServer = { ignore: !serverUrl };

export function server(): string {
  if (!serverUrl) throw new Error("KAZI_TEST_SERVER_URL is not set (run through `npm test`)");
  return serverUrl;
}

export function dbUrl(name: string): string {
  const u = new URL(server());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function scratchDatabase(label: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `kazi_tooling_${label}_${crypto.randomUUID().slice(0, 8)}`;
  await sql(server(), `create database ${name}`);
  return { name, url: dbUrl(name), drop: async () => void (await sql(server(), `drop database if exists ${name} with (force)`)) };
}

export interface Ran { code: number; stdout: string; stderr: string }

/** Runs one of scripts/*.ts the way `npm run` does (Node with the tsx loader). */
export async function npmScript(script: string, args: string[], env: Record<string, string>): Promise<Ran> {
  const out = await new Deno.Command("node", {
    args: ["--import", "tsx", `scripts/${script}.ts`, ...args],
    cwd: repoRoot,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The schema as pg_dump writes it, without the schemas named in `exclude`. */
export async function schemaDump(url: string, exclude: string[] = []): Promise<string> {
  const args = ["--schema-only", "--no-owner", ...exclude.map((s) => `--exclude-schema=${s}`), url];
  const out = await new Deno.Command("pg_dump", { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  // pg_dump ≥ 15.14 brackets its output with a random \restrict key.
  return new TextDecoder().decode(out.stdout).replace(/^\\(un)?restrict .*$/gm, "");
}
