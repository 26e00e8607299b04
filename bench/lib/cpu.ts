// Where the time goes, robust to a shared machine: CPU time each process
// spent during a window (Linux /proc/<pid>/stat: utime + stime), divided by
// the requests served. Wall-clock latency on 2 shared cores mostly measures
// the neighbours; CPU milliseconds per request measure our own work.
import type pg from "pg";

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

/** CPU milliseconds the process has used so far, or null when it cannot be read. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name (which may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  bench: number | null;
  server: number | null;
  postgres: Map<number, number>;
}

/**
 * Reads this process, the functions server (when its pid is known) and every
 * Postgres backend of the bench database opened by the functions or the
 * direct-SQL pool (by application_name).
 */
export async function cpuSnapshot(admin: pg.Pool, serverPid: number | undefined): Promise<CpuSnapshot> {
  const { rows } = await admin.query(
    `select pid from pg_stat_activity
     where datname = current_database() and application_name in ('kazi-functions', 'kazi-bench-direct')`,
  );
  const postgres = new Map<number, number>();
  for (const { pid } of rows as { pid: number }[]) {
    const ms = cpuMs(pid);
    if (ms !== null) postgres.set(pid, ms);
  }
  return { bench: cpuMs(Deno.pid), server: serverPid ? cpuMs(serverPid) : null, postgres };
}

export interface CpuSpent {
  bench: number | null;
  server: number | null;
  postgres: number;
}

/** CPU ms spent between two snapshots; a backend that appeared in between counts from zero. */
export function cpuSpent(a: CpuSnapshot, b: CpuSnapshot): CpuSpent {
  let postgres = 0;
  for (const [pid, ms] of b.postgres) postgres += ms - (a.postgres.get(pid) ?? 0);
  const diff = (x: number | null, y: number | null) => (x === null || y === null ? null : y - x);
  return { bench: diff(a.bench, b.bench), server: diff(a.server, b.server), postgres };
}
