/**
 * API benchmark (Deno script; run by `npm run bench`). Prints markdown.
 *
 * Against the functions served on a fresh database (KAZI_BENCH_FUNCTIONS_URL),
 * with C concurrent keep-alive connections on loopback (autocannon, default
 * 50), requests per second and p50/p99 latency of
 *   (a) GET  /admin/tenants/{t}/employees              first page of 50, masked
 *   (b) PUT  /onboarding/me/cases/{id}/details         four encryptions
 *   (c) POST /admin/tenants/{t}/employees/{id}/reveal  one decryption, audited
 * each next to the same work done directly in SQL from this process (same
 * statements, same user with RLS, same vault work in-process, as many pooled
 * connections as all the functions' instances hold, C concurrent workers):
 * bench/lib/direct-sql.ts. The two sides run in alternating windows (order
 * flipped every round), so both see the same machine. Targets (issue 6):
 * list ≥ 0.5× the direct-SQL throughput; p99 of saving details < 100 ms.
 *
 * That closed loop keeps all C connections busy, so its latency is C /
 * throughput (Little's law). For (b) the bench then also offers load open
 * loop: C connections, requests due at a fixed rate evenly spaced, at
 * fractions of the saturated save throughput just measured
 * (KAZI_BENCH_API_OPEN_FRACTIONS, default 0.25,0.5,0.75), latency from each
 * request's due time (bench/lib/open-loop.ts); the direct-SQL side at the same
 * rates, and autocannon's own overallRate at the same rates for comparison.
 *
 * Data: one tenant with KAZI_BENCH_API_EMPLOYEES employees (default 10,000)
 * whose protected fields are real vault ciphertexts, 50 admins, 500 new hires
 * with draft cases; requests rotate over users, rows and fields.
 *
 * Env: KAZI_BENCH_DB_URL, KAZI_BENCH_FUNCTIONS_URL, the functions' secrets
 * (KAZI_DEV_JWT_PRIVATE_JWK or KAZI_JWT_SECRET, KAZI_KEKS, …), KAZI_DB_POOL_MAX
 * (the pool size of each functions instance, default 5), KAZI_BENCH_FUNCTIONS_INSTANCES
 * (instances serving; the runner sets it), KAZI_BENCH_API_EMPLOYEES,
 * KAZI_BENCH_API_CONNECTIONS, KAZI_BENCH_API_SECONDS (per window, default 4),
 * KAZI_BENCH_API_ROUNDS (default 3), KAZI_BENCH_API_OPEN_FRACTIONS. The served admin function needs
 * KAZI_REVEAL_RATE_LIMIT high enough for (c); the runner sets it.
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { cryptoConfigFromEnv } from "../functions/_shared/crypto/config.ts";
import { PiiVault } from "../functions/_shared/crypto/pii-vault.ts";
import { usePreparedStatements } from "../functions/_shared/db.ts";
import { PII_FIELDS } from "../functions/_shared/pii/fields.ts";
import { createApiFixture, kenyanPii } from "./lib/api-fixtures.ts";
import { cpuSnapshot, cpuSpent } from "./lib/cpu.ts";
import { summaryLine } from "./lib/bench-summary.ts";
import { listEmployees, listPlan, revealField, saveDetails } from "./lib/direct-sql.ts";
import { httpLoad, type HttpRequestSpec, inProcessLoad, type Stats, statsOf, type Window } from "./lib/load.ts";
import { httpOpenLoop, offeredRates, openLoop, type OpenLoopPoint, openLoopSummaryRow, type OpenLoopWindow } from "./lib/open-loop.ts";
import { tokenFor } from "./lib/tokens.ts";

const env = (name: string) => Deno.env.get(name)?.trim() || undefined;
const dbUrl = env("KAZI_BENCH_DB_URL");
const functionsUrl = env("KAZI_BENCH_FUNCTIONS_URL")?.replace(/\/+$/, "");
if (!dbUrl || !functionsUrl) {
  console.error("KAZI_BENCH_DB_URL and KAZI_BENCH_FUNCTIONS_URL must be set (npm run bench sets both)");
  Deno.exit(2);
}
const EMPLOYEES = Number(env("KAZI_BENCH_API_EMPLOYEES") ?? 10_000);
const CONNECTIONS = Number(env("KAZI_BENCH_API_CONNECTIONS") ?? 50);
const SECONDS = Number(env("KAZI_BENCH_API_SECONDS") ?? 4);
const ROUNDS = Number(env("KAZI_BENCH_API_ROUNDS") ?? 3);
const POOL_PER_INSTANCE = Number(env("KAZI_DB_POOL_MAX") ?? 5);
// The gateway runs several instances (scripts/serve-functions.ts), each with its own pool: the direct side gets as many connections.
const INSTANCES = Number(env("KAZI_BENCH_FUNCTIONS_INSTANCES") ?? 1);
const POOL = POOL_PER_INSTANCE * INSTANCES;
const OPEN_FRACTIONS = (env("KAZI_BENCH_API_OPEN_FRACTIONS") ?? "0.25,0.5,0.75").split(",").map(Number).filter((f) => f > 0);
const SAVE_P99_LIMIT_MS = 100;
const SERVER_PID = env("KAZI_BENCH_FUNCTIONS_PID") ? Number(env("KAZI_BENCH_FUNCTIONS_PID")) : undefined;

// ---- fixtures -----------------------------------------------------------------
const admin = new pg.Pool({ connectionString: dbUrl, max: 2 });
// The vault's key store gets its own small pool, as in the functions (boot.ts).
const keyPool = new pg.Pool({ connectionString: dbUrl, max: 2 });
const vault = PiiVault.create(new Kysely({ dialect: new PostgresDialect({ pool: keyPool }) }), cryptoConfigFromEnv());
const loadStarted = performance.now();
const fx = await createApiFixture(admin, vault, { employees: EMPLOYEES, admins: 50, hires: 500 });
const loadSeconds = (performance.now() - loadStarted) / 1000;

const admins = await Promise.all(fx.admins.map((id) => tokenFor(id)));
const hires = await Promise.all(fx.hires.map(async (h) => ({ ...h, ...(await tokenFor(h.userId)) })));
// Pipelined and with prepared statements as in the functions (functions/_shared/db.ts).
const direct = new pg.Pool({ connectionString: dbUrl, max: POOL, application_name: "kazi-bench-direct", pipeline: true });
usePreparedStatements(direct);

const detailsOf = (i: number): Record<string, string> => {
  const pii = kenyanPii(5_000_000 + i);
  return {
    first_name: "Wanjiku", last_name: "Kamau", other_names: "Njeri", date_of_birth: "1994-05-17",
    kra_pin: pii.kra_pin, national_id: pii.national_id, phone: pii.phone,
    bank_code: "01", branch_code: "094", bank_account: pii.bank_account,
  };
};
const REASON = "Payroll reconciliation for the bench";
const json = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
const base = new URL(functionsUrl).pathname;

interface Scenario {
  name: string;
  /** Absent for a direct-SQL-only variant. */
  http?: (i: number) => HttpRequestSpec;
  sql: (i: number) => Promise<void>;
}

const scenarios: Scenario[] = [
  {
    name: "list",
    http: (i) => ({ method: "GET", path: `${base}/admin/tenants/${fx.tenantId}/employees`, headers: json(admins[i % admins.length].token) }),
    sql: (i) => listEmployees(direct, vault, admins[i % admins.length].claims, fx.tenantId, false),
  },
  {
    name: "list+mask",
    sql: (i) => listEmployees(direct, vault, admins[i % admins.length].claims, fx.tenantId, true),
  },
  {
    name: "save",
    http: (i) => {
      const h = hires[i % hires.length];
      return { method: "PUT", path: `${base}/onboarding/me/cases/${h.caseId}/details`, headers: json(h.token), body: JSON.stringify(detailsOf(i)) };
    },
    sql: (i) => {
      const h = hires[i % hires.length];
      return saveDetails(direct, vault, h.claims, h.caseId, detailsOf(i));
    },
  },
  {
    name: "reveal",
    http: (i) => ({
      method: "POST",
      path: `${base}/admin/tenants/${fx.tenantId}/employees/${fx.employees[i % fx.employees.length].id}/reveal`,
      headers: json(admins[i % admins.length].token),
      body: JSON.stringify({ field: PII_FIELDS[i % 4], reason: REASON }),
    }),
    sql: (i) =>
      revealField(direct, vault, admins[i % admins.length].claims, fx.tenantId, fx.employees[i % fx.employees.length].id, PII_FIELDS[i % 4], REASON),
  },
];

// ---- preflight: each request does what it should, or the numbers mean nothing ----------
async function preflight() {
  const call = async (spec: HttpRequestSpec) => {
    const res = await fetch(new URL(spec.path, functionsUrl), { method: spec.method, headers: spec.headers, body: spec.body });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${spec.method} ${spec.path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
  const masked = (v: unknown) => typeof v === "string" && v.includes("*");
  const page = await call(scenarios[0].http!(0));
  if (page.items?.length !== 50 || !page.items.every((e: { masked: Record<string, unknown> }) => PII_FIELDS.every((f) => masked(e.masked[f])))) {
    throw new Error("list: expected 50 employees with four masked fields each");
  }
  const saved = await call(scenarios.find((s) => s.name === "save")!.http!(0));
  if (!PII_FIELDS.every((f) => masked(saved.pii?.[f]))) throw new Error("save: expected the four fields back masked");
  const revealed = await call(scenarios.find((s) => s.name === "reveal")!.http!(0));
  if (revealed.value !== kenyanPii(fx.employees[0].index)[PII_FIELDS[0]]) throw new Error("reveal: not the value the fixture encrypted");
}
await preflight();

// ---- measurement ------------------------------------------------------------------
const windows: Record<string, Window[]> = {};
const cpu: Record<string, { bench: number | null; server: number | null; postgres: number }> = {};
const measure = async (key: string, run: () => Promise<Window>, keep: boolean) => {
  const before = await cpuSnapshot(admin, SERVER_PID);
  const w = await run();
  const spent = cpuSpent(before, await cpuSnapshot(admin, SERVER_PID));
  if (!keep) return;
  (windows[key] ??= []).push(w);
  const sum = (cpu[key] ??= { bench: 0, server: 0, postgres: 0 });
  sum.bench = sum.bench === null || spent.bench === null ? null : sum.bench + spent.bench;
  sum.server = sum.server === null || spent.server === null ? null : sum.server + spent.server;
  sum.postgres += spent.postgres;
};
const api = (next: NonNullable<Scenario["http"]>, seconds: number) => () =>
  httpLoad(functionsUrl, { connections: CONNECTIONS, seconds, okStatus: 200, next });
const sqlSide = (s: Scenario, seconds: number) => () => inProcessLoad({ connections: CONNECTIONS, seconds, op: s.sql });

for (let round = -1; round < ROUNDS; round++) {
  const warmUp = round < 0; // one short window per side, discarded
  const seconds = warmUp ? 1 : SECONDS;
  for (const s of scenarios) {
    const sides: [string, () => Promise<Window>][] = [[`${s.name}:sql`, sqlSide(s, seconds)]];
    if (s.http) sides.push([`${s.name}:api`, api(s.http, seconds)]);
    if (round % 2 === 1) sides.reverse();
    for (const [key, run] of sides) await measure(key, run, !warmUp);
  }
}
// ---- open loop: the save at fixed offered rates below saturation -----------------------
// The same request sequence as (b), offered at fractions of the saturated API
// throughput just measured; API (own paced client), direct SQL (same pacing,
// same workers) and autocannon's overallRate at the same rates, alternating
// per round like the closed loop. Kept apart from the windows above, which
// stay exactly the closed-loop measurement.
const saveScenario = scenarios.find((s) => s.name === "save")!;
const saturatedSave = statsOf(windows["save:api"]).rps;
const openRates = offeredRates(saturatedSave, OPEN_FRACTIONS);
const openWindows: Record<string, Window[]> = {};
const SETTLE_MS = 500;
const openKey = (k: number) => `save@${Math.round(OPEN_FRACTIONS[k] * 100)}%`;
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, rate] of openRates.entries()) {
    const key = openKey(k);
    const sides: [string, () => Promise<Window>][] = [
      [`${key}:api`, () => httpOpenLoop(functionsUrl, { connections: CONNECTIONS, seconds: SECONDS, rate, okStatus: 200, next: saveScenario.http! })],
      [`${key}:sql`, () => openLoop({ rate, seconds: SECONDS, slots: CONNECTIONS, op: saveScenario.sql })],
      [`${key}:autocannon`, () => httpLoad(functionsUrl, { connections: CONNECTIONS, seconds: SECONDS, okStatus: 200, next: saveScenario.http!, overallRate: rate })],
    ];
    if (round % 2 === 1) sides.reverse();
    for (const [key, run] of sides) {
      // autocannon stops with requests still in flight on the server: let them finish before the next window's clock starts
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      (openWindows[key] ??= []).push(await run());
    }
  }
}
const plan = await listPlan(direct, admins[0].claims, fx.tenantId);
await direct.end();
await admin.end();
await keyPool.end();

// ---- report -------------------------------------------------------------------------
const stats: Record<string, Stats> = Object.fromEntries(Object.entries(windows).map(([k, w]) => [k, statsOf(w)]));
const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const rps = (x: number) => Math.round(x).toLocaleString("en");
const row = (label: string, a: Stats | undefined, sqlKey: string, target: string) => {
  const b = stats[sqlKey];
  const cells = a
    ? [rps(a.rps), ms(a.p50), ms(a.p99), rps(b.rps), ms(b.p50), ms(b.p99), `${(a.rps / b.rps).toFixed(2)}×`]
    : ["", "", "", rps(b.rps), ms(b.p50), ms(b.p99), ""];
  return `| ${label} | ${cells.join(" | ")} | ${target} |`;
};
const list = stats["list:api"], save = stats["save:api"], reveal = stats["reveal:api"];
const listRatio = list.rps / stats["list:sql"].rps;
const listMet = listRatio >= 0.5;
const saveMet = save.p99 < 100;
const failures = Object.entries(stats).filter(([, s]) => s.failures > 0);

console.log(
  `${CONNECTIONS} concurrent connections on loopback (API: autocannon; direct SQL: ${CONNECTIONS} workers over a pool of ${POOL}, as many connections as the functions' ${INSTANCES} instance${INSTANCES === 1 ? "" : "s"} of ${POOL_PER_INSTANCE} each). ` +
    `${ROUNDS} rounds of ${SECONDS} s per side, sides alternating, after a 1 s warm-up each; latencies are client-side, percentiles over every request.\n` +
    `Data: 1 tenant, ${EMPLOYEES.toLocaleString("en")} employees with four vault-encrypted fields each (loaded in ${loadSeconds.toFixed(1)} s), ` +
    `${fx.admins.length} admins, ${fx.hires.length} new hires with draft cases; requests rotate over users, rows and fields.\n`,
);
console.log("| request | API req/s | API p50 ms | API p99 ms | SQL req/s | SQL p50 ms | SQL p99 ms | API/SQL throughput | target |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
console.log(row("(a) list employees, page of 50 (SQL: query only)", list, "list:sql", `≥ 0.5× ${listMet ? "met" : "missed"}`));
console.log(row("(a′) SQL side also masking the 50 rows in-process (200 decryptions)", list, "list+mask:sql", "info"));
console.log(row("(b) save onboarding details (4 encryptions)", save, "save:sql", `p99 < 100 ms ${saveMet ? "met" : "missed"}`));
console.log(row("(c) reveal one field (decrypt + audit row)", reveal, "reveal:sql", "info"));
console.log(
  `\nRequests measured: ${Object.entries(stats).map(([k, s]) => `${k} ${s.requests.toLocaleString("en")}`).join(", ")}; ` +
    `failed: ${failures.length ? failures.map(([k, s]) => `${k} ${s.failures}`).join(", ") : "none"}.`,
);
// CPU per request: what each process spent on one request of a side, whatever the neighbours did.
const perRequest = (key: string, part: "bench" | "server" | "postgres") => {
  const v = cpu[key]?.[part];
  return v === null || v === undefined ? "n/a" : (v / stats[key].requests).toFixed(2);
};
console.log(
  "\nWhere the time goes: CPU milliseconds per request (from /proc, summed over the windows; 10 ms tick resolution). " +
    "API side: the functions server, its Postgres backends, and this process as the load generator; direct side: this process (pg client and vault) and its Postgres backends.\n",
);
console.log("| request | API: functions server | API: Postgres | API: load generator | SQL: bench process | SQL: Postgres |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [label, name] of [["(a) list", "list"], ["(a′) list + masking (SQL side)", "list+mask"], ["(b) save details", "save"], ["(c) reveal", "reveal"]]) {
  const api = stats[`${name}:api`] ? ["server", "postgres", "bench"].map((p) => perRequest(`${name}:api`, p as "server")) : ["", "", ""];
  console.log(`| ${label} | ${api.join(" | ")} | ${perRequest(`${name}:sql`, "bench")} | ${perRequest(`${name}:sql`, "postgres")} |`);
}
// Two consequences the numbers above imply, computed rather than asserted.
const cpuOf = (key: string, parts: ("bench" | "server" | "postgres")[]) => {
  const c = cpu[key];
  if (!c || parts.some((p) => c[p] === null)) return null;
  return parts.reduce((sum, p) => sum + (c[p] as number), 0) / stats[key].requests;
};
const maskCost = (cpuOf("list+mask:sql", ["bench"]) ?? NaN) - (cpuOf("list:sql", ["bench"]) ?? NaN);
const saveCpu = cpuOf("save:api", ["server", "postgres"]);
const cores = navigator.hardwareConcurrency;
console.log(`\nThe list query's plan as the member: ${plan}.`);
if (!Number.isNaN(maskCost)) {
  console.log(`Masking a page in-process (200 WebCrypto decryptions, ${stats["list+mask:sql"].requests} pages) costs ${maskCost.toFixed(2)} ms CPU per page.`);
}
if (saveCpu !== null) {
  console.log(
    `A save costs ${saveCpu.toFixed(2)} ms CPU (functions server + Postgres), so ${cores} cores serve at most ≈ ${Math.round((cores * 1000) / saveCpu)} saves/s; ` +
      `with ${CONNECTIONS} connections always busy, mean latency is ${CONNECTIONS} / throughput (Little's law), ` +
      `at least ≈ ${Math.round((CONNECTIONS * saveCpu) / cores)} ms here; even a mean under 100 ms needs under ${(100 / CONNECTIONS * cores).toFixed(1)} ms of CPU per save (a p99 under 100 ms, less).`,
  );
}

// Open loop: the save at fixed offered rates (computed from the closed loop's saturated save throughput).
const openStats = (key: string) => {
  const w = openWindows[key] ?? [];
  return { ...statsOf(w), unfinished: w.reduce((n, x) => n + ((x as OpenLoopWindow).unfinished ?? 0), 0) };
};
const openPoint = (k: number, side: "api" | "sql"): OpenLoopPoint => {
  const s = openStats(`${openKey(k)}:${side}`);
  return { rate: openRates[k], fraction: OPEN_FRACTIONS[k], achievedRps: s.rps, p50: s.p50, p99: s.p99, failures: s.failures, unfinished: s.unfinished };
};
const apiPoints = openRates.map((_, k) => openPoint(k, "api"));
const sqlPoints = openRates.map((_, k) => openPoint(k, "sql"));
const under = (p: OpenLoopPoint) =>
  p.failures || p.unfinished ? `no (${p.failures + p.unfinished} unanswered or failed)` : p.p99 < SAVE_P99_LIMIT_MS ? "yes" : "no";
console.log(
  `\n(b) open loop: the same save request offered at a fixed rate, at ${OPEN_FRACTIONS.map((f) => `${Math.round(f * 100)}%`).join(", ")} ` +
    `of the saturated API throughput above (${rps(saturatedSave)} req/s), over ${CONNECTIONS} keep-alive connections; requests due evenly spaced ` +
    `(1 / rate apart) whatever the server does, each sent on an idle connection or queued until one frees up; ` +
    `latency runs from the request's due time, so waiting for a connection counts (no coordinated omission). ` +
    `Direct SQL: the same pacing over ${CONNECTIONS} workers and the pool of ${POOL}. ${ROUNDS} rounds of ${SECONDS} s per rate and side, alternating, ${SETTLE_MS} ms apart. ` +
    `"req/s" is achieved (answers over the time from the first due request to the last answer).\n` +
    `The last three columns are autocannon's own overallRate at the same rate, for comparison only: it gives each connection a whole ` +
    `per-second quota (at most one connection per req/s) that it sends back to back when its 1 s timer fires, the timers in step, ` +
    `so the load arrives in bursts at each second boundary, and it times requests from the actual send.\n`,
);
console.log(
  `| offered req/s | share of saturated | API req/s | API p50 ms | API p99 ms | API p99 < ${SAVE_P99_LIMIT_MS} ms | ` +
    `SQL req/s | SQL p50 ms | SQL p99 ms | SQL p99 < ${SAVE_P99_LIMIT_MS} ms | autocannon overallRate req/s | p50 ms | p99 ms |`,
);
console.log("|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|");
openRates.forEach((rate, k) => {
  const a = apiPoints[k], b = sqlPoints[k], c = openStats(`${openKey(k)}:autocannon`);
  console.log(
    `| ${rate} | ${Math.round(OPEN_FRACTIONS[k] * 100)}% | ${rps(a.achievedRps)} | ${ms(a.p50)} | ${ms(a.p99)} | ${under(a)} | ` +
      `${rps(b.achievedRps)} | ${ms(b.p50)} | ${ms(b.p99)} | ${under(b)} | ${rps(c.rps)} | ${ms(c.p50)} | ${ms(c.p99)} |`,
  );
});
const openFailures = Object.entries(openWindows).map(([k]) => [k, openStats(k)] as const).filter(([, s]) => s.failures > 0 || s.unfinished > 0);
console.log(
  `\nOpen-loop requests answered: ${Object.keys(openWindows).map((k) => `${k} ${openStats(k).requests.toLocaleString("en")}`).join(", ")}; ` +
    `failed or unanswered: ${openFailures.length ? openFailures.map(([k, s]) => `${k} ${s.failures} failed, ${s.unfinished} unanswered`).join("; ") : "none"}.`,
);
console.log(summaryLine([
  { measure: "list employees (masked): API / direct SQL throughput", value: `${listRatio.toFixed(2)}× (${rps(list.rps)} vs ${rps(stats["list:sql"].rps)} req/s)`, target: "≥ 0.5×", met: listMet },
  { measure: `save onboarding details: API p99, saturated (closed loop, ${CONNECTIONS} connections always busy)`, value: `${ms(save.p99)} ms (p50 ${ms(save.p50)} ms, ${rps(save.rps)} req/s)`, target: "< 100 ms", met: saveMet },
  openLoopSummaryRow("save onboarding details: API", apiPoints, { connections: CONNECTIONS, saturatedRps: saturatedSave, limitMs: SAVE_P99_LIMIT_MS }),
  { measure: "reveal a field: API / direct SQL throughput", value: `${(reveal.rps / stats["reveal:sql"].rps).toFixed(2)}× (${rps(reveal.rps)} vs ${rps(stats["reveal:sql"].rps)} req/s)`, target: "info", met: null },
]));
if (failures.length || openFailures.some(([, s]) => s.failures > 0)) Deno.exit(1);
