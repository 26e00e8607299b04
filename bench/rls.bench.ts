/**
 * RLS overhead benchmark (Deno script; run by `npm run bench`). Prints markdown.
 *
 * Builds KAZI_BENCH_TENANTS tenants (default 1,000) holding KAZI_BENCH_EMPLOYEES
 * employees (default 1,000,000, spread evenly), one owner per tenant, then
 * times, in one run and interleaved, two queries for one tenant:
 *   - list:  50 employees ordered by employee_number
 *   - count: the tenant's employees
 * once as an authenticated member (RLS policies apply, `set local role
 * authenticated` + request.jwt.claims like PostgREST) and once as the service
 * role (bypasses RLS) with the same explicit tenant filter. Reports the
 * median of each and the ratio (target ≤ 1.2×), plus the EXPLAIN of the RLS
 * run showing the policy helpers as InitPlans executed once (loops=1).
 * Then, to show where the RLS overhead goes, the same harness times each
 * policy helper alone as the member (one statement per transaction, as the
 * policies run them), minus an empty statement timed in the same rounds.
 *
 * Env: KAZI_BENCH_DB_URL (superuser URL of a migrated database; it is filled
 * with fixtures), KAZI_BENCH_TENANTS, KAZI_BENCH_EMPLOYEES, KAZI_BENCH_ROUNDS.
 */
import pg from "pg";

const url = Deno.env.get("KAZI_BENCH_DB_URL");
if (!url) {
  console.error("KAZI_BENCH_DB_URL is not set");
  Deno.exit(2);
}
const TENANTS = Number(Deno.env.get("KAZI_BENCH_TENANTS") ?? 1_000);
const EMPLOYEES = Number(Deno.env.get("KAZI_BENCH_EMPLOYEES") ?? 1_000_000);
const ROUNDS = Number(Deno.env.get("KAZI_BENCH_ROUNDS") ?? 300);
// "clustered": each tenant's employees were written together (an import, an
// onboarding wave), so they share heap pages; "interleaved": round-robin over
// tenants, every employee of a tenant on a different page (worst case).
const LAYOUT = Deno.env.get("KAZI_BENCH_LAYOUT") === "interleaved" ? "interleaved" : "clustered";

const client = new pg.Client({ connectionString: url });
await client.connect();

// ---- fixtures ----------------------------------------------------------------
// Triggers (audit, workflow) are switched off for the bulk load only: this
// measures reads, and the load is fixture data written by the superuser.
await client.query("set session_replication_role = replica");
await client.query(
  `insert into public.tenants (id, name, slug)
   select ('00000000-0000-4000-8000-' || lpad(to_hex(t), 12, '0'))::uuid, 'Bench tenant ' || t, 'bench-' || t
   from generate_series(1, $1::int) t`,
  [TENANTS],
);
await client.query(
  `insert into auth.users (id, email, aud, role)
   select ('00000000-0000-4000-9000-' || lpad(to_hex(t), 12, '0'))::uuid, 'owner' || t || '@bench.test', 'authenticated', 'authenticated'
   from generate_series(1, $1::int) t`,
  [TENANTS],
);
await client.query(
  `insert into public.memberships (tenant_id, user_id, role)
   select ('00000000-0000-4000-8000-' || lpad(to_hex(t), 12, '0'))::uuid,
          ('00000000-0000-4000-9000-' || lpad(to_hex(t), 12, '0'))::uuid, 'owner'
   from generate_series(1, $1::int) t`,
  [TENANTS],
);
await client.query(
  `insert into public.employees (tenant_id, employee_number, first_name, last_name, department)
   select ('00000000-0000-4000-8000-' || lpad(to_hex(1 + case when $3 then i % $1::int else i * $1::int / $2::int end), 12, '0'))::uuid,
          'E-' || lpad(i::text, 8, '0'), 'First' || i, 'Last' || i, 'Dept ' || (i % 17)
   from generate_series(0, $2::int - 1) i`,
  [TENANTS, EMPLOYEES, LAYOUT === "interleaved"],
);
await client.query("set session_replication_role = origin");
// The triggers that keep private.tenant_access were off for the load too.
await client.query("select private.rebuild_tenant_access()");
await client.query("vacuum analyze public.tenants, public.memberships, public.employees, public.role_permissions, private.tenant_access");

// The member: owner of a tenant in the middle.
const t = Math.max(1, Math.floor(TENANTS / 2));
const tenantId = `00000000-0000-4000-8000-${t.toString(16).padStart(12, "0")}`;
const userId = `00000000-0000-4000-9000-${t.toString(16).padStart(12, "0")}`;
const now = Math.floor(Date.now() / 1000);
const claims = JSON.stringify({
  iss: "http://127.0.0.1:54321/auth/v1", sub: userId, aud: "authenticated", role: "authenticated", aal: "aal1",
  exp: now + 3600, iat: now, session_id: crypto.randomUUID(), is_anonymous: false,
});

const QUERIES = {
  list: `select id, employee_number, first_name, last_name from public.employees
         where tenant_id = $1 order by employee_number limit 50`,
  count: `select count(*)::int as n from public.employees where tenant_id = $1`,
};
type Name = keyof typeof QUERIES;
type Mode = "rls" | "service";

async function asRole<T>(mode: Mode, fn: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    if (mode === "rls") {
      await client.query("set local role authenticated");
      await client.query("select set_config('request.jwt.claims', $1, true)", [claims]);
    } else {
      await client.query("set local role service_role");
      await client.query(`select set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
    }
    return await fn();
  } finally {
    await client.query("rollback");
  }
}

// Same answers both ways, or the comparison means nothing.
for (const name of Object.keys(QUERIES) as Name[]) {
  const a = await asRole("rls", () => client.query(QUERIES[name], [tenantId]));
  const b = await asRole("service", () => client.query(QUERIES[name], [tenantId]));
  if (JSON.stringify(a.rows) !== JSON.stringify(b.rows) || a.rows.length === 0) {
    console.error(`${name}: RLS and service role disagree`);
    Deno.exit(1);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};
const samples: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS + 20; r++) {
  for (const name of Object.keys(QUERIES) as Name[]) {
    for (const mode of (r % 2 ? ["rls", "service"] : ["service", "rls"]) as Mode[]) {
      const ms = await asRole(mode, async () => {
        const t0 = performance.now();
        // Named (prepared) statements, one per query and role, as PostgREST
        // prepares its statements: planning is not what is being compared.
        await client.query({ name: `${name}_${mode}`, text: QUERIES[name], values: [tenantId] });
        return performance.now() - t0;
      });
      if (r >= 20) (samples[`${name}:${mode}`] ??= []).push(ms); // first 20 rounds warm up
    }
  }
}

// Where the overhead goes: the employees policy's one InitPlan alone, next to
// the helper call that other tables' policies make for the same question.
const PARTS = {
  "empty statement (subtracted)": "select 1",
  "auth.uid() (parses request.jwt.claims)": "select (select auth.uid())",
  "employees policy: probe of private.my_tenant_access (its one InitPlan)":
    `select array(select m.tenant_id from private.my_tenant_access m
       where m.permission in ('employees.read', '*') and (m.expires_at is null or m.expires_at > now()))`,
  "the same probe of private.tenant_access itself (the policy before 20261127001000: the table's own policy asks auth.uid() again)":
    `select array(select a.tenant_id from private.tenant_access a where a.user_id = (select auth.uid())
       and a.permission in ('employees.read', '*') and (a.expires_at is null or a.expires_at > now()))`,
  "readable_tenant_ids('employees.read') (the helper other tables' policies call)":
    "select array(select private.readable_tenant_ids('employees.read'))",
};
type Part = keyof typeof PARTS;
const partSamples: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS + 20; r++) {
  const names = Object.keys(PARTS) as Part[];
  for (const part of r % 2 ? [...names].reverse() : names) {
    const ms = await asRole("rls", async () => {
      const t0 = performance.now();
      await client.query({ name: `part_${names.indexOf(part)}`, text: PARTS[part] });
      return performance.now() - t0;
    });
    if (r >= 20) (partSamples[part] ??= []).push(ms);
  }
}

const plans: Record<string, string> = {};
for (const name of Object.keys(QUERIES) as Name[]) {
  const sql = QUERIES[name].replace("$1", `'${tenantId}'`);
  const res = await asRole("rls", () => client.query(`explain (analyze, costs off, timing off, summary off) ${sql}`));
  plans[name] = res.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
}
await client.end();

const scale = EMPLOYEES === 1_000_000 && TENANTS === 1_000
  ? "1,000 tenants, 1,000,000 employees (the issue's scale)"
  : `${TENANTS.toLocaleString("en")} tenants, ${EMPLOYEES.toLocaleString("en")} employees (smaller than the issue's 1,000/1,000,000)`;
const fmt = (x: number) => x.toFixed(3);
const lines = [
  `Scale: ${scale}; ${LAYOUT} heap layout; prepared statements; ${ROUNDS} alternating rounds after 20 warm-up rounds; median client-side latency.`,
  "",
  "| query | RLS as member (ms) | service role (ms) | ratio | target |",
  "|---|---:|---:|---:|---|",
];
for (const name of Object.keys(QUERIES) as Name[]) {
  const rls = median(samples[`${name}:rls`]);
  const svc = median(samples[`${name}:service`]);
  const ratio = rls / svc;
  lines.push(`| ${name} | ${fmt(rls)} | ${fmt(svc)} | ${ratio.toFixed(2)}× | ≤ 1.2× ${ratio <= 1.2 ? "met" : "missed"} |`);
}
const empty = median(partSamples["empty statement (subtracted)"]);
lines.push(
  "",
  "Where the overhead goes: each way of asking \"which tenants may this user read employees of\" alone, as the member, " +
    `one statement per transaction, median of ${ROUNDS} alternating rounds minus an empty statement (${fmt(empty)} ms). ` +
    "The employees policy runs the first: one index probe planned with the query, no function call, auth.uid() asked once. Before " +
    "private.tenant_access (20261127000100) it made two helper calls, each joining memberships, role_permissions " +
    "and tenants (about 0.12 ms each in the last run before it).",
  "",
  "| InitPlan | ms per statement |",
  "|---|---:|",
);
for (const part of (Object.keys(PARTS) as Part[]).slice(1)) {
  lines.push(`| ${part} | ${fmt(median(partSamples[part]) - empty)} |`);
}
lines.push("", "EXPLAIN ANALYZE as the member (policy helpers run once per query: InitPlan, loops=1):", "");
for (const name of Object.keys(QUERIES) as Name[]) {
  const initPlans = (plans[name].match(/InitPlan/g) ?? []).length;
  lines.push(`${name} (${initPlans} InitPlans):`, "", "```", plans[name], "```", "");
}
console.log(lines.join("\n"));
// Headline numbers for bench/results.md's summary table (scripts/bench.ts).
console.log("BENCH_SUMMARY " + JSON.stringify({
  rows: (Object.keys(QUERIES) as Name[]).map((name) => {
    const ratio = median(samples[`${name}:rls`]) / median(samples[`${name}:service`]);
    return { measure: `RLS overhead, ${name} query: member / service role latency`, value: `${ratio.toFixed(2)}×`, target: "≤ 1.2×", met: ratio <= 1.2 };
  }),
}));
