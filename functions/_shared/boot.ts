// Boot-time wiring for a function's app.ts: parse the environment (exit with
// a clear message when it is wrong), open the pool, build the verifier and
// the audit sink. Only app.ts files call this; routes receive what it returns.

import { type AuditSink, bestEffort, createDbAuditSink } from "./audit.ts";
import { createVerifier, type TokenVerifier } from "./auth.ts";
import { ConfigError, type ConfigPart, type Env, loadConfig, type LoadedConfig } from "./config.ts";
import { createDb, type Db } from "./db.ts";

/** Key-store work is rare (cache misses, one reservation per batch of encryptions): two connections suffice. */
const KEY_POOL_MAX = 2;

export interface Booted<P extends ConfigPart> {
  config: LoadedConfig<P>;
  db: Db;
  /**
   * A second, small pool for the PII vault's key store. Requests encrypt and
   * decrypt while holding a connection of `db` (inside their transaction);
   * when the vault then needs the database (a data key not cached yet, the
   * next batch of encryptions reserved), it must not wait on the same pool,
   * or a burst that holds every connection would wait on itself.
   */
  keyDb: Db;
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
  const { db: keyDb } = createDb({ ...config.db, poolMax: KEY_POOL_MAX });
  const verifier = config.auth ? createVerifier(config.auth) : undefined;
  return { config, db, keyDb, verifier, audit: bestEffort(createDbAuditSink(db)) };
}
