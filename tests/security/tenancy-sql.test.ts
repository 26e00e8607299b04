// Attack 2, tenancy over PostgREST-style SQL: for every table in `public`
// (discovered, so a new table is attacked automatically), tenant B's owner,
// an employee of B and a support agent granted B only — each connected as
// PostgREST connects them (`role authenticated`, `request.jwt.claims` set,
// and claims that falsely list tenant A as theirs, since claims are only UI
// hints) — try to read tenant A's rows by filter, by id and by listing,
// update and delete them, and insert rows into A. Every statement commits on
// its own, so an attack that worked would persist: the snapshot of A taken by
// the superuser before and after must be identical.
import assert from "node:assert/strict";
import pg from "pg";
import { sql } from "kysely";
import { env } from "../integration/_support/env.ts";
import { attackTest, withWorld } from "./_support/attack-test.ts";
import { snapshotTenant, type World } from "./_support/world.ts";

interface TableInfo {
  name: string;
  hasTenantId: boolean;
  hasId: boolean;
}

/** The SQL predicate selecting tenant A's rows of a table ($1 = A's tenant id, $2 = A-only user ids). */
function victimRows(t: TableInfo): string | null {
  if (t.hasTenantId) return "tenant_id = $1::uuid";
  if (t.name === "tenants") return "id = $1::uuid";
  if (t.name === "profiles") return "id = any($2::uuid[]) and $1::uuid is not null";
  if (t.name === "platform_staff") return "true"; // other people's staff rows
  return null; // shared catalogues (roles, permissions): readable by design, never writable
}

/** The leading parameters a statement refers to ($1…$n); Postgres refuses extra ones. */
function used(text: string, params: unknown[]): unknown[] {
  const n = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  return params.slice(0, n);
}

type Outcome = { rows: number } | { error: string };

async function attempt(client: pg.Client, claims: Record<string, unknown>, text: string, params: unknown[]): Promise<Outcome> {
  await client.query("begin");
  try {
    await client.query("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [
      JSON.stringify(claims),
    ]);
    const res = await client.query(text, used(text, params));
    await client.query("commit");
    return { rows: res.rowCount ?? 0 };
  } catch (err) {
    await client.query("rollback");
    return { error: String((err as { code?: string }).code ?? err) };
  }
}

function attackers(w: World) {
  const lie = { app_metadata: { tenants: [{ id: w.ids.tenantId, role: "owner" }], platform_role: "platform_admin" }, user_metadata: { tenant_id: w.ids.tenantId, role: "owner" } };
  const claims = (sub: string) => ({ sub, role: "authenticated", aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600, ...lie });
  return [
    { who: "B owner", claims: claims(w.b.users.owner.id) },
    { who: "B employee", claims: claims(w.b.users.employee.id) },
    { who: "agent granted B only", claims: claims(w.agent.id) },
  ];
}

attackTest("tenancy over SQL: for every public table, B's people cannot read, list, update, delete or insert tenant A's rows", withWorld(async (w) => {
  const client = new pg.Client({ connectionString: env.testDbUrl });
  await client.connect();
  try {
    const { rows: tables } = await sql<TableInfo>`select c.relname as name,
        exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as "hasTenantId",
        exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'id' and not a.attisdropped) as "hasId"
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(w.db);
    assert.ok(tables.length >= 14, `tables: ${tables.map((t) => t.name)}`);
    const aOnlyUsers = Object.values(w.a.users).map((u) => u.id).concat(w.caseSubject.id);
    const before = await snapshotTenant(w.db, w.ids.tenantId);
    const { rows: [catalogBefore] } = await sql<{ t: string }>`select concat_ws('|',
        (select json_agg(x order by x.name) from public.roles x)::text,
        (select json_agg(x order by x.name) from public.permissions x)::text,
        (select json_agg(x order by x.role, x.permission) from public.role_permissions x)::text,
        (select json_agg(x order by x.user_id) from public.platform_staff x)::text) as t`.execute(w.db);
    const failures: string[] = [];
    let attacks = 0;
    for (const t of tables) {
      const victim = victimRows(t);
      const table = `public.${t.name}`;
      // one of A's rows (as the superuser sees it), for by-id reads and copy-inserts
      const sampleSql = `select to_jsonb(x) as row from ${table} x where ${victim ?? "true"} limit 1`;
      const { rows: [sample] } = await client.query(sampleSql, used(sampleSql, [w.ids.tenantId, aOnlyUsers]));
      assert.ok(sample, `${t.name}: the fixture has a row of A to attack`);
      const row = sample.row as Record<string, unknown>;
      const probesFor = (victim: string | null, row: Record<string, unknown>, copy: Record<string, unknown>) => {
      const probes: { what: string; text: string; params: unknown[]; ok: (o: Outcome) => boolean }[] = [];
      const nothing = (o: Outcome) => "error" in o || o.rows === 0;
      if (victim && t.name !== "platform_staff") {
        probes.push({ what: "read by filter", text: `select 1 from ${table} where ${victim}`, params: [w.ids.tenantId, aOnlyUsers], ok: nothing });
        probes.push({ what: "list everything, keep A's", text: `select 1 from ${table} x where ${victim.replace(/^(\w+)/, "x.$1")}`, params: [w.ids.tenantId, aOnlyUsers], ok: nothing });
        probes.push({ what: "read by filter (text compare)", text: `select 1 from ${table} x where ${t.hasTenantId ? "x.tenant_id::text" : "x.id::text"} = $1`, params: [t.name === "profiles" ? aOnlyUsers[0] : w.ids.tenantId], ok: nothing });
      }
      if (t.hasId && victim) {
        probes.push({ what: "read by id", text: `select 1 from ${table} where id = $1::uuid`, params: [row.id], ok: nothing });
      }
      if (t.name === "platform_staff") {
        probes.push({ what: "read other staff", text: `select 1 from ${table} where user_id <> $1::uuid`, params: [w.agent.id], ok: nothing });
      }
      const where = victim ?? "true";
      probes.push({ what: "update", text: `update ${table} set updated_at = now() where ${where}`, params: [w.ids.tenantId, aOnlyUsers], ok: nothing });
      probes.push({ what: "update by id", text: `update ${table} x set updated_at = now() where to_jsonb(x) @> $1::jsonb`, params: [JSON.stringify(t.hasId ? { id: row.id } : row)], ok: nothing });
      probes.push({ what: "delete", text: `delete from ${table} where ${where}`, params: [w.ids.tenantId, aOnlyUsers], ok: nothing });
      probes.push({ what: "delete by id", text: `delete from ${table} x where to_jsonb(x) @> $1::jsonb`, params: [JSON.stringify(t.hasId ? { id: row.id } : row)], ok: nothing });
      probes.push({
        what: "insert into A", text: `insert into ${table} select * from jsonb_populate_record(null::${table}, $1::jsonb)`,
        params: [JSON.stringify(copy)], ok: (o) => "error" in o,
      });
      return probes;
      };
      // a copy of A's row under a new id (and for catalogues, a new name)
      const copy = { ...row, ...(t.hasId ? { id: crypto.randomUUID() } : {}), ...("name" in row && !t.hasId ? { name: `x_${crypto.randomUUID().slice(0, 8)}` } : {}) };
      for (const { who, claims } of attackers(w)) {
        // platform_staff: a B member making itself platform staff
        const staffCopy = t.name === "platform_staff" ? [{ what: "make myself platform admin", text: `insert into ${table} (user_id, role) values ($1::uuid, 'platform_admin')`, params: [claims.sub], ok: (o: Outcome) => "error" in o }] : [];
        // An agent's own access request to A is its own row (readable, and asking is allowed):
        // the attack is on everyone else's grants, and on granting itself access.
        const ownGrant = t.name === "support_access_grants" && who.startsWith("agent");
        const probes = ownGrant
          ? probesFor(`${victim} and support_user_id <> '${w.agent.id}'`, row, copy)
            .filter((p) => !["read by id", "read by filter (text compare)", "insert into A"].includes(p.what))
          : probesFor(victim, row, copy);
        if (ownGrant) {
          // Granting itself access: the workflow trigger turns any insert into a plain request.
          const forged = { ...copy, id: crypto.randomUUID(), status: "approved", decided_at: new Date().toISOString(), decided_by: w.agent.id };
          await attempt(client, claims, `insert into ${table} select * from jsonb_populate_record(null::${table}, $1::jsonb)`, [JSON.stringify(forged)]);
          attacks++;
          const { rows: [g] } = await sql<{ n: number }>`select count(*)::int as n from public.support_access_grants
            where tenant_id = ${w.ids.tenantId}::uuid and support_user_id = ${w.agent.id}::uuid and status <> 'requested'`.execute(w.db);
          if (g.n !== 0) failures.push(`${who}: granted itself access to A`);
          await sql`delete from public.support_access_grants where id = ${forged.id}::uuid`.execute(w.db);
        }
        for (const p of [...probes, ...staffCopy]) {
          const out = await attempt(client, claims, p.text, p.params);
          attacks++;
          if (!p.ok(out)) failures.push(`${who}: ${t.name} ${p.what} → ${JSON.stringify(out)}`);
        }
      }
    }
    assert.deepEqual(failures, [], "no attack reached tenant A's rows");
    assert.equal(await snapshotTenant(w.db, w.ids.tenantId), before, "nothing of tenant A changed");
    const { rows: [catalogAfter] } = await sql<{ t: string }>`select concat_ws('|',
        (select json_agg(x order by x.name) from public.roles x)::text,
        (select json_agg(x order by x.name) from public.permissions x)::text,
        (select json_agg(x order by x.role, x.permission) from public.role_permissions x)::text,
        (select json_agg(x order by x.user_id) from public.platform_staff x)::text) as t`.execute(w.db);
    assert.equal(catalogAfter.t, catalogBefore.t, "roles, permissions and platform staff unchanged");
    console.log(`tenancy over SQL: ${tables.length} tables, ${attacks} attacks`);
  } finally {
    await client.end();
  }
}));
