// Boot-time wiring for a function's app.ts: parse the environment (exit with
// a clear message when it is wrong), open the pool, build the verifier and
// the audit sink. Only app.ts files call this; routes receive what it returns.

import { type AuditSink, bestEffort, createDbAuditSink } from "./audit.ts";
import { createVerifier, type TokenVerifier } from "./auth.ts";
import { ConfigError, type ConfigPart, type Env, loadConfig, type LoadedConfig } from "./config.ts";
import { createDb, type Db } from "./db.ts";

export interface Booted<P extends ConfigPart> {
  config: LoadedConfig<P>;
  db: Db;
  verifier?: TokenVerifier;
  /** Best-effort sink for refusals (a failing audit write does not become a 500). */
  audit: AuditSink;
}

export function boot<P extends ConfigPart>(parts: readonly P[], env: Env = Deno.env.toObject()): Booted<P | "db"> {
  let config: LoadedConfig<P | "db">;
  try {
    config = loadConfig(env, [...parts, "db"] as (P | "db")[]);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const { db } = createDb(config.db);
  const verifier = config.auth ? createVerifier(config.auth) : undefined;
  return { config, db, verifier, audit: bestEffort(createDbAuditSink(db)) };
}
