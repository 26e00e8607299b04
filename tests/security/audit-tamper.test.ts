// Attack 6, the audit trail: a tenant's real trail (written by the functions
// and the row triggers while the API is used) is tampered with by a
// superuser — a row edited, deleted, back-dated, two rows reordered, a row
// moved to another tenant — and audit.verify_chain names the damage each
// time. Every tampering happens in a transaction that is rolled back, so the
// shared trail stays intact. And no API role can write the trail directly:
// not by INSERT/UPDATE/DELETE/TRUNCATE, not through the chain's internals,
// not by calling the service-role entry point.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "../integration/_support/env.ts";
import { userToken } from "../integration/_support/tokens.ts";
import { openFixtures, seedTenant } from "../../functions/admin/test-fixtures.ts";
import { attackTest } from "./_support/attack-test.ts";
import { tagged } from "./_support/http.ts";

async function tenantTrail(): Promise<{ tenantId: string; close: () => Promise<void> }> {
  const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
  const a = await seedTenant(f.db, f.vault, 2);
  const owner = await userToken(a.users.owner.id);
  // real traffic: reveals, a refusal, a soft delete, an invitation
  for (const e of a.employees) {
    const r = await tagged("admin", `/tenants/${a.tenantId}/employees/${e.id}/reveal`, { token: owner, body: { field: "phone", reason: "payroll check" } });
    assert.equal(r.status, 200);
  }
  await tagged("admin", `/tenants/${a.tenantId}/employees/${a.employees[1].id}`, { method: "DELETE", token: owner });
  await tagged("admin", `/tenants/${a.tenantId}/members`, { token: await userToken(a.users.employee.id) });
  await tagged("admin", `/tenants/${a.tenantId}/invitations`, { token: owner, body: { email: `x-${crypto.randomUUID().slice(0, 6)}@sec-test.kazi.example`, role: "employee" } });
  return { tenantId: a.tenantId, close: f.close };
}

type Fault = { event_id: string | null; problem: string | null; detail: string | null };

attackTest("audit: a superuser's edit, delete, back-dating, reorder or move of audit rows is detected by audit.verify_chain", async () => {
  const trail = await tenantTrail();
  const client = new pg.Client({ connectionString: env.testDbUrl });
  await client.connect();
  try {
    const verify = async (): Promise<Fault> =>
      (await client.query("select (f).event_id::text, (f).problem, (f).detail from (select audit.verify_chain($1::uuid) as f) v", [trail.tenantId])).rows[0];
    assert.deepEqual(await verify(), { event_id: null, problem: null, detail: null }, "the untouched trail verifies");
    const { rows: ev } = await client.query("select id::text, action || details::text as content from audit.events where tenant_id = $1 order by id", [trail.tenantId]);
    assert.ok(ev.length >= 6, `a real trail: ${ev.length} rows`);
    // the swaps need two rows that differ in content
    const [first, second, mid, last] = [ev[0].id, ev.find((e) => e.content !== ev[0].content).id, ev[Math.floor(ev.length / 2)].id, ev[ev.length - 1].id];
    const { rows: [other] } = await client.query("select id::text from audit.events where tenant_id is distinct from $1 order by id desc limit 1", [trail.tenantId]);

    const tamperings: { name: string; sql: string; params: unknown[] }[] = [
      { name: "edit the outcome of a refusal", sql: "update audit.events set outcome = 'success' where tenant_id = $1 and outcome = 'denied'", params: [trail.tenantId] },
      { name: "edit details of a middle row", sql: "update audit.events set details = details || '{\"reason\":\"routine\"}' where id = $1", params: [mid] },
      { name: "edit the actor of the first row", sql: "update audit.events set actor_id = gen_random_uuid() where id = $1", params: [first] },
      { name: "edit the last row", sql: "update audit.events set action = 'noop' where id = $1", params: [last] },
      { name: "delete a middle row", sql: "delete from audit.events where id = $1", params: [mid] },
      { name: "delete the first row", sql: "delete from audit.events where id = $1", params: [first] },
      { name: "delete the last row", sql: "delete from audit.events where id = $1", params: [last] },
      { name: "delete every reveal", sql: "delete from audit.events where tenant_id = $1 and action = 'pii.reveal'", params: [trail.tenantId] },
      { name: "back-date a row", sql: "update audit.events set occurred_at = occurred_at - interval '1 day' where id = $1", params: [mid] },
      { name: "reorder two rows (swap positions)", sql: `update audit.events e set chain_seq = s.seq from (
          select id, case when id = $1 then (select chain_seq from audit.events where id = $2) else (select chain_seq from audit.events where id = $1) end as seq
          from audit.events where id in ($1, $2)) s where e.id = s.id`, params: [first, second] },
      { name: "reorder two rows (swap content)", sql: `update audit.events e set action = s.action, details = s.details from (
          select id, (select action from audit.events where id = case when x.id = $1 then $2 else $1 end::bigint) as action,
                     (select details from audit.events where id = case when x.id = $1 then $2 else $1 end::bigint) as details
          from audit.events x where id in ($1, $2)) s where e.id = s.id`, params: [first, second] },
      { name: "move a row to another tenant", sql: "update audit.events set tenant_id = gen_random_uuid() where id = $1", params: [mid] },
      { name: "insert a forged row into the chain", sql: `insert into audit.events (tenant_id, action, outcome, details, chain_lane, chain_seq, link_size, prev_hash, hash, row_hash)
          select tenant_id, 'pii.reveal', 'success', '{}', chain_lane, chain_seq, link_size, prev_hash, hash, row_hash from audit.events where id = $1`, params: [mid] },
      { name: "pull in a row of another chain", sql: "update audit.events set tenant_id = $1 where id = $2", params: [trail.tenantId, other.id] },
    ];
    for (const t of tamperings) {
      await client.query("begin");
      try {
        await client.query("set local session_replication_role = replica"); // superuser: guard triggers off
        const res = await client.query(t.sql, t.params);
        assert.ok((res.rowCount ?? 0) > 0, `${t.name}: the tampering touched rows`);
        const fault = await verify();
        assert.ok(fault.problem, `${t.name}: detected (${JSON.stringify(fault)})`);
      } finally {
        await client.query("rollback");
      }
    }
    assert.deepEqual(await verify(), { event_id: null, problem: null, detail: null }, "after the rollbacks the trail verifies again");
    console.log(`audit tampering: ${tamperings.length} tamperings detected`);
  } finally {
    await client.end();
    await trail.close();
  }
});

attackTest("audit: no API role can write, change, delete or truncate audit rows, nor reach the chain's internals", async () => {
  const client = new pg.Client({ connectionString: env.testDbUrl });
  await client.connect();
  try {
    const { rows: [{ id: target }] } = await client.query("select audit.record_event('security.probe') :: text as id");
    const count = async () => Number((await client.query("select count(*) from audit.events")).rows[0].count);
    const roles = ["anon", "authenticated", "service_role", "authenticator", "supabase_auth_admin"];
    const writes = [
      `insert into audit.events (action, chain_lane, chain_seq, link_size, hash, row_hash) values ('forged', 0, 1, 1, '\\x00', '\\x00')`,
      `update audit.events set action = 'x' where id = ${target}`,
      `delete from audit.events where id = ${target}`,
      `truncate audit.events`,
      `update audit.chain_heads set last_seq = 0`,
      `delete from audit.chain_heads`,
      `select audit.append_event(null, null, null, 'forged', null, null, null, null, null, 'success', null, null, null, '{}')`,
      `select audit.chain_commit(gen_random_uuid(), 0, 1, '\\x00')`,
      `select audit.track('public.tenants')`,
      `select audit.untrack('public.tenants')`,
      `select audit.drop_partitions_older_than('0 days')`,
    ];
    // record_event is the functions' entry point: service_role only (appending is not tampering).
    const appendOnlyForService = `select audit.record_event('forged.by.api.role')`;
    let attacks = 0;
    const succeeded: string[] = [];
    const before = await count();
    const { rows: [{ row: original }] } = await client.query(`select to_jsonb(e) as row from audit.events e where id = ${target}`);
    for (const role of roles) {
      for (const stmt of [...writes, ...(role === "service_role" ? [] : [appendOnlyForService])]) {
        attacks++;
        await client.query("begin");
        try {
          await client.query(`set local role ${role}`);
          await client.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: crypto.randomUUID(), role })]);
          await client.query(stmt);
          await client.query("commit");
          succeeded.push(`${role}: ${stmt.slice(0, 60)}`);
        } catch {
          await client.query("rollback");
        }
      }
    }
    assert.deepEqual(succeeded, [], "every direct write by an API role is refused");
    assert.equal(await count(), before, "no row added or removed");
    const { rows: [{ row: after }] } = await client.query(`select to_jsonb(e) as row from audit.events e where id = ${target}`);
    assert.deepEqual(after, original, "the probe row is unchanged");
    console.log(`audit direct writes: ${attacks} refused`);
  } finally {
    await client.end();
  }
});
