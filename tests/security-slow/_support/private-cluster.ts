// A throwaway PostgreSQL 15 cluster of our own (Debian's binaries, run as the
// `postgres` OS user, data in a temp dir, a free port), so a test can restart
// a database without touching the shared server at 127.0.0.1:5432; and the
// functions served against it (scripts/serve-functions.ts, as npm test does).
import { fileURLToPath } from "node:url";
import { startFunctions } from "../../../scripts/lib/functions-server.ts";

const BIN = "/usr/lib/postgresql/15/bin";
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const out = await new Deno.Command(cmd, { args, env: opts.env, cwd: opts.cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${text}`);
  return text;
}

/** Runs a binary of the cluster as the postgres OS user. */
const asPostgres = (bin: string, args: string[]) => run("runuser", ["-u", "postgres", "--", `${BIN}/${bin}`, ...args]);

export interface PrivateCluster {
  url: string;
  port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export function canMakeCluster(): boolean {
  try {
    Deno.statSync(`${BIN}/initdb`);
    return Deno.uid?.() === 0; // runuser needs root
  } catch {
    return false;
  }
}

export async function createCluster(): Promise<PrivateCluster> {
  const dir = await Deno.makeTempDir({ prefix: "kazi-private-pg-" });
  await run("chown", ["postgres:postgres", dir]);
  const data = `${dir}/data`;
  const port = freePort();
  await asPostgres("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const start = () => asPostgres("pg_ctl", ["-D", data, "-o", opts, "-l", `${dir}/server.log`, "-w", "-t", "60", "start"]).then(() => {});
  const stop = () => asPostgres("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]).then(() => {});
  await start();
  await run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-qc", "create database kazi"]);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/kazi`,
    port,
    start,
    stop,
    // -l as for start: otherwise the server inherits our pipes and the call never ends
    restart: () => asPostgres("pg_ctl", ["-D", data, "-o", opts, "-l", `${dir}/server.log`, "-m", "fast", "-w", "-t", "60", "restart"]).then(() => {}),
    async destroy() {
      await stop().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** `npm run db:migrate` against the cluster (shim, then the Supabase CLI's migration up). */
export async function migrate(url: string): Promise<void> {
  await run("node", ["--import", "tsx", "scripts/db-migrate.ts"], {
    cwd: repoRoot,
    env: { ...Deno.env.toObject(), DATABASE_URL: url, KAZI_DB: "" },
  });
}

export interface Served {
  url: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Serves every function against dbUrl with this process's secrets, like npm test does. */
export async function serveFunctions(dbUrl: string): Promise<Served> {
  let log = "";
  const served = await startFunctions({ SUPABASE_DB_URL: dbUrl }, { port: freePort(), log: (chunk) => void (log += chunk) });
  return { url: served.url, log: () => log, stop: served.stop };
}
