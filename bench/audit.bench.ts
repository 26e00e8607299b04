/**
 * Audit trail overhead benchmark (Deno script; run by `npm run bench`). Prints markdown.
 *
 * Measures, in one run and interleaved, with the audit triggers on
 * public.employees enabled versus disabled (`alter table ... disable trigger`
 * on the four `employees_audit_*` triggers; every other trigger stays on):
 *   - bulk:       insert KAZI_BENCH_AUDIT_ROWS employees (default 100,000) in one
 *                 statement, then update all of them, in one transaction; the
 *                 audited side commits and then seals its 200,000 audit rows
 *                 (audit.seal()), timed separately and also counted in a second
 *                 ratio; the employees are then removed without auditing
 *   - concurrent: KAZI_BENCH_AUDIT_WRITERS connections (default 8), each running
 *                 KAZI_BENCH_AUDIT_TXNS small transactions (default 1,000: insert one
 *                 employee, update it, commit) against the same tenant, while a
 *                 ninth connection calls audit.seal() every second as pg_cron
 *                 would (on both sides); the window ends after a last seal, made
 *                 as soon as the writers finish, so every audit row written in
 *                 it is sealed inside it; throughput in transactions per second
 * Targets (issue 4): bulk time ratio ≤ 1.5×; concurrent throughput ≥ 0.6× of
 * without auditing. The table reports the measured numbers, met or not.
 *
 * Env: KAZI_BENCH_DB_URL (superuser URL of a migrated scratch database; the
 * bench adds a tenant and employees to it), KAZI_BENCH_AUDIT_ROWS,
 * KAZI_BENCH_AUDIT_WRITERS, KAZI_BENCH_AUDIT_TXNS, KAZI_BENCH_AUDIT_ROUNDS (default 5: the machine is noisy, one round moves by ±10%).
 * Each bulk window starts after a vacuum of public.employees and a checkpoint.
 */
import pg from "pg";
import { every } from "./lib/every.ts";

const url = Deno.env.get("KAZI_BENCH_DB_URL");
if (!url) {
  console.error("KAZI_BENCH_DB_URL is not set");
  Deno.exit(2);
}
const ROWS = Number(Deno.env.get("KAZI_BENCH_AUDIT_ROWS") ?? 100_000);
const WRITERS = Number(Deno.env.get("KAZI_BENCH_AUDIT_WRITERS") ?? 8);
const TXNS = Number(Deno.env.get("KAZI_BENCH_AUDIT_TXNS") ?? 1000);
const ROUNDS = Number(Deno.env.get("KAZI_BENCH_AUDIT_ROUNDS") ?? 5);
const TRIGGERS = ["insert", "update", "delete", "truncate"].map((op) => `employees_audit_${op}`);
const TENANT = crypto.randomUUID();

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query("insert into public.tenants (id, name, slug) values ($1, 'Audit bench', $2)", [
  TENANT,
  `audit-bench-${TENANT.slice(0, 8)}`,
]);

async function setAuditTriggers(client: pg.Client, enabled: boolean): Promise<void> {
  for (const t of TRIGGERS) {
    await client.query(`alter table public.employees ${enabled ? "enable" : "disable"} trigger ${t}`);
  }
}

/** Bulk insert + update of ROWS employees in one transaction; milliseconds writing, and sealing (audited side). */
async function bulk(audited: boolean, round: number): Promise<{ write: number; seal: number }> {
  const prefix = `B${audited ? "a" : "n"}${round}-`;
  await admin.query("begin");
  let write: number;
  try {
    if (!audited) await setAuditTriggers(admin, false);
    const started = performance.now();
    await admin.query(
      `insert into public.employees (tenant_id, employee_number, first_name, last_name, department)
       select $1, $2 || g, 'First' || g, 'Last' || g, 'Dept ' || (g % 20)
       from generate_series(1, $3::int) g`,
      [TENANT, prefix, ROWS],
    );
    await admin.query(
      "update public.employees set job_title = 'Engineer', department = 'Platform' where tenant_id = $1 and employee_number like $2",
      [TENANT, `${prefix}%`],
    );
    write = performance.now() - started;
  } catch (err) {
    await admin.query("rollback");
    throw err;
  }
  if (!audited) {
    await admin.query("rollback");
    return { write, seal: 0 };
  }
  await admin.query("commit");
  const sealStarted = performance.now();
  await admin.query("select audit.seal()");
  const seal = performance.now() - sealStarted;
  // the rows go again without auditing, so every round starts from the same table
  await admin.query("begin");
  await setAuditTriggers(admin, false);
  await admin.query("delete from public.employees where tenant_id = $1 and employee_number like $2", [TENANT, `${prefix}%`]);
  await setAuditTriggers(admin, true);
  await admin.query("commit");
  return { write, seal };
}

/** WRITERS connections × TXNS small transactions, sealed as they go; returns transactions per second. */
async function concurrent(audited: boolean, round: number): Promise<number> {
  await setAuditTriggers(admin, audited);
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const sealer = new pg.Client({ connectionString: url });
  await sealer.connect();
  await sealer.query("select audit.seal()");
  // pg_cron's job, every second; stopped (and run a last time) the moment the
  // writers finish. Ending the window at the next whole tick instead made both
  // sides come out as 1 s or 2 s on a fast machine: a ratio of the sealer's clock.
  let sealing: { stop(): Promise<void> } | undefined;
  try {
    const started = performance.now();
    sealing = every(1000, () => sealer.query("select audit.seal()"));
    await Promise.all(clients.map(async (c, w) => {
      for (let i = 0; i < TXNS; i++) {
        await c.query("begin");
        const { rows } = await c.query(
          `insert into public.employees (tenant_id, employee_number, first_name, last_name)
           values ($1, $2, 'Concurrent', 'Writer') returning id`,
          [TENANT, `C${audited ? "a" : "n"}${round}-${w}-${i}`],
        );
        await c.query("update public.employees set job_title = 'Clerk' where id = $1", [rows[0].id]);
        await c.query("commit");
      }
    }));
    await sealing.stop();
    return (WRITERS * TXNS) / ((performance.now() - started) / 1000);
  } finally {
    await sealing?.stop();
    await Promise.all([...clients, sealer].map((c) => c.end()));
    await setAuditTriggers(admin, true);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bulkOn: number[] = [], bulkOff: number[] = [], bulkSealed: number[] = [], concOn: number[] = [], concOff: number[] = [];
const bulkRun = async (audited: boolean, r: number) => {
  // Each window starts from the same state: without the dead rows the last
  // one left (this server runs without autovacuum) and without its dirty
  // pages and WAL still to flush, which would otherwise fall on whichever
  // side runs next.
  await admin.query("vacuum public.employees");
  await admin.query("checkpoint");
  const { write, seal } = await bulk(audited, r);
  if (!audited) return bulkOff.push(write);
  bulkOn.push(write);
  bulkSealed.push(write + seal);
};
try {
  for (let r = 0; r < ROUNDS; r++) {
    // interleaved, alternating which goes first
    if (r % 2 === 0) {
      await bulkRun(false, r);
      await bulkRun(true, r);
      concOff.push(await concurrent(false, r));
      concOn.push(await concurrent(true, r));
    } else {
      await bulkRun(true, r);
      await bulkRun(false, r);
      concOn.push(await concurrent(true, r));
      concOff.push(await concurrent(false, r));
    }
  }
  await admin.query("select audit.seal()");
  const { rows: [chain] } = await admin.query(
    `select (audit.verify_chain($1)) is null as intact,
            (select count(*) from audit.seals where chain_key = $1) as seals,
            (select coalesce(sum(cardinality(event_ids)), 0) from audit.seals where chain_key = $1) as sealed,
            (select count(*) from audit.events where tenant_id = $1) as rows`,
    [TENANT],
  );
  const bulkRatio = median(bulkOn) / median(bulkOff);
  const sealedRatio = median(bulkSealed) / median(bulkOff);
  const concRatio = median(concOn) / median(concOff);
  const sealRate = Math.round((2 * ROWS) / ((median(bulkSealed) - median(bulkOn)) / 1000)).toLocaleString("en");
  const fmt = (n: number) => n.toFixed(0);
  const met = (ok: boolean) => (ok ? "yes" : "no");
  console.log(`Rows: ${ROWS.toLocaleString("en")} (bulk), ${WRITERS} writers × ${TXNS} transactions (concurrent), median of ${ROUNDS} interleaved rounds.\n`);
  console.log("| scenario | without audit | with audit | ratio | target | met |");
  console.log("|---|---|---|---|---|---|");
  console.log(`| bulk insert + update (ms) | ${fmt(median(bulkOff))} | ${fmt(median(bulkOn))} | ${bulkRatio.toFixed(2)}× slower | ≤ 1.5× | ${met(bulkRatio <= 1.5)} |`);
  console.log(`| the same, then sealing its ${(2 * ROWS).toLocaleString("en")} audit rows (ms; background work, ${sealRate} rows/s) | ${fmt(median(bulkOff))} | ${fmt(median(bulkSealed))} | ${sealedRatio.toFixed(2)}× slower | info | — |`);
  console.log(`| ${WRITERS} concurrent writers, sealed every second (tx/s) | ${fmt(median(concOff))} | ${fmt(median(concOn))} | ${concRatio.toFixed(2)}× throughput | ≥ 0.6× | ${met(concRatio >= 0.6)} |`);
  console.log(`\nAfter the run the bench tenant's chain verifies: ${chain.intact ? "yes" : "NO"}; ${chain.sealed} of its ${chain.rows} audit rows sealed in ${chain.seals} seals.`);
  // Headline numbers for bench/results.md's summary table (scripts/bench.ts).
  console.log("BENCH_SUMMARY " + JSON.stringify({ rows: [
    { measure: "audit triggers, bulk insert + update: time with / without", value: `${bulkRatio.toFixed(2)}×`, target: "≤ 1.5×", met: bulkRatio <= 1.5 },
    { measure: "audit sealer (background): bulk insert + update, then sealing its rows: time with / without", value: `${sealedRatio.toFixed(2)}× (sealing ${sealRate} rows/s)`, target: "info", met: null },
    { measure: `audit triggers, ${WRITERS} concurrent writers (sealed every second): throughput with / without`, value: `${concRatio.toFixed(2)}×`, target: "≥ 0.6×", met: concRatio >= 0.6 },
    { measure: "audit hash chain verifies after the run, every row sealed", value: chain.intact && chain.sealed === chain.rows ? "yes" : "no", target: "yes", met: Boolean(chain.intact) && chain.sealed === chain.rows },
  ] }));
} finally {
  await setAuditTriggers(admin, true).catch(() => {});
  await admin.end();
}
