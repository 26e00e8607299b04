// One thread of the direct-SQL side (bench/lib/direct-side.ts): its own pool
// (the size of one functions process's) and its own vault, as each
// functions process has. Messages: init, closed, open, close.
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { cryptoConfigFromEnv } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { usePreparedStatements } from "../../functions/_shared/db.ts";
import { directOps, type ScenarioData, type ScenarioName } from "./direct-scenarios.ts";
import { inProcessLoad } from "./load.ts";
import { openLoop } from "./open-loop.ts";

export type WorkerRequest =
  | { kind: "init"; dbUrl: string; poolMax: number; data: ScenarioData }
  | { kind: "closed"; scenario: ScenarioName; connections: number; seconds: number; offset: number; stride: number }
  | { kind: "open"; scenario: ScenarioName; rate: number; seconds: number; slots: number; offset: number; stride: number }
  | { kind: "close" };

// a worker's global scope (typed here, not with the deno.worker lib, which would retype every file checked with this one)
const worker = self as unknown as {
  onmessage: (e: MessageEvent<WorkerRequest>) => void;
  postMessage(message: unknown): void;
  close(): void;
};

let ops: ReturnType<typeof directOps> | undefined;
const pools: pg.Pool[] = [];

worker.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const m = e.data;
  try {
    if (m.kind === "init") {
      const pool = new pg.Pool({ connectionString: m.dbUrl, max: m.poolMax, application_name: "kazi-bench-direct" });
      // prepared statements as in the functions (functions/_shared/db.ts)
      usePreparedStatements(pool);
      // the vault's key store on a small pool of its own, as in the functions (boot.ts)
      const keyPool = new pg.Pool({ connectionString: m.dbUrl, max: 2, application_name: "kazi-bench-direct" });
      pools.push(pool, keyPool);
      const vault = PiiVault.create(new Kysely({ dialect: new PostgresDialect({ pool: keyPool }) }), cryptoConfigFromEnv());
      ops = directOps(pool, vault, m.data);
      worker.postMessage({ ok: true });
    } else if (m.kind === "closed") {
      const op = ops![m.scenario];
      worker.postMessage({ ok: true, window: await inProcessLoad({ connections: m.connections, seconds: m.seconds, op: (i) => op(m.offset + i * m.stride) }) });
    } else if (m.kind === "open") {
      const op = ops![m.scenario];
      worker.postMessage({ ok: true, window: await openLoop({ rate: m.rate, seconds: m.seconds, slots: m.slots, op: (i) => op(m.offset + i * m.stride) }) });
    } else {
      await Promise.all(pools.map((p) => p.end()));
      worker.postMessage({ ok: true });
      worker.close();
    }
  } catch (err) {
    worker.postMessage({ ok: false, error: String(err) });
  }
};
