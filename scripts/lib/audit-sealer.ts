// The local stack's stand-in for the pg_cron job Supabase runs: seals the
// audit rows of finished transactions into the hash chain every few seconds
// (audit.seal(); see supabase/migrations/20261127000300_audit_sealed_chain.sql).
import pg from "pg";

export interface AuditSealer { stop(): Promise<void> }

export const SEAL_INTERVAL_MS = 5000;

export function startAuditSealer(url: string, intervalMs = SEAL_INTERVAL_MS): AuditSealer {
  // A pool of one reconnects after the database restarts, and its error
  // handler keeps a dropped idle connection (Ctrl-C stops the embedded
  // server too) from ending the process.
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  pool.on("error", () => {});
  let failing = false;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = pool.query("select audit.seal()").then(
      () => (failing = false),
      (err: Error) => {
        // one line per outage, not one per tick
        if (!failing && !stopped) console.error(`kazi: audit.seal() failed: ${err.message}`);
        failing = true;
      },
    );
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await pool.end();
    },
  };
}
