// Attack 6, the audit trail: a tenant's real trail (written by the functions
// and the row triggers while the API is used) is sealed into the hash chain
// by audit.seal(), as the pg_cron job does, then tampered with by a
// superuser — a sealed row edited, deleted, back-dated, two rows reordered, a
// row moved to another tenant, a row forged into the sealed past, a seal
// rewritten or deleted — and audit.verify_chain names the damage each time.
// Every tampering happens in a transaction that is rolled back, so the
// shared trail stays intact. And no API role can write the trail directly:
// not by INSERT/UPDATE/DELETE/TRUNCATE, not through the seals, the sealer or
// the chain's internals, not by calling the service-role entry points.
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

/**
 * Seals the tenant's rows as the pg_cron job does: audit.seal(), each call its
 * own transaction, until every row of the tenant is below audit.sealer.sealed_below
 * (a transaction still running anywhere on the server holds sealing back).
 */
async function sealTrail(client: pg.Client, tenantId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await client.query("select audit.seal()");
    const { rows: [r] } = await client.query(
      "select count(*)::int as unsealed from audit.events e cross join audit.sealer s where e.tenant_id = $1 and not e.tx < s.sealed_below",
      [tenantId],
    );
    if (r.unsealed === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.unsealed} audit rows still unsealed after 60 s: a long transaction on the server?`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

type Fault = { event_id: string | null; problem: string | null; detail: string | null };

attackTest("audit: a superuser's edit, delete, back-dating, reorder, move or forgery of sealed audit rows, or of their seals, is detected by audit.verify_chain", async () => {
  const trail = await tenantTrail();
  const client = new pg.Client({ connectionString: env.testDbUrl });
  await client.connect();
  try {
    await sealTrail(client, trail.tenantId);
    const verify = async (): Promise<Fault> =>
      (await client.query("select (f).event_id::text, (f).problem, (f).detail from (select audit.verify_chain($1::uuid) as f) v", [trail.tenantId])).rows[0];
    const { rows: [named] } = await client.query(
      `select count(*)::int as n from audit.events e where e.tenant_id = $1
         and (select count(*) from audit.seals s cross join lateral unnest(s.event_ids) as u (id) where s.chain_key = $1 and u.id = e.id) <> 1`,
      [trail.tenantId],
    );
    assert.equal(named.n, 0, "audit.seal() sealed every row of the trail once, in the tenant's chain");
    assert.deepEqual(await verify(), { event_id: null, problem: null, detail: null }, "the untouched trail verifies");
    const { rows: ev } = await client.query("select id::text, action || details::text as content from audit.events where tenant_id = $1 order by id", [trail.tenantId]);
    assert.ok(ev.length >= 6, `a real trail: ${ev.length} rows`);
    // the swaps need two rows that differ in content
    const [first, second, mid, last] = [ev[0].id, ev.find((e) => e.content !== ev[0].content).id, ev[Math.floor(ev.length / 2)].id, ev[ev.length - 1].id];
    // a sealed row of another chain
    const { rows: [other] } = await client.query(
      "select id::text from audit.events where tenant_id is distinct from $1 and tx < (select sealed_below from audit.sealer) order by id desc limit 1",
      [trail.tenantId],
    );
    assert.ok(other, "another chain has a sealed row");

    // expect: the problems verify_chain may name; at: the row it must name, when one row is touched
    const tamperings: { name: string; sql: string; params: unknown[]; expect: string[]; at?: string }[] = [
      { name: "edit the outcome of a refusal", sql: "update audit.events set outcome = 'success' where tenant_id = $1 and outcome = 'denied'", params: [trail.tenantId], expect: ["altered"] },
      { name: "edit details of a middle row", sql: "update audit.events set details = details || '{\"reason\":\"routine\"}' where id = $1", params: [mid], expect: ["altered"], at: mid },
      { name: "edit the actor of the first row", sql: "update audit.events set actor_id = gen_random_uuid() where id = $1", params: [first], expect: ["altered"], at: first },
      { name: "edit the last row", sql: "update audit.events set action = 'noop' where id = $1", params: [last], expect: ["altered"], at: last },
      { name: "edit the transaction of a row", sql: "update audit.events set tx = (tx::text::bigint + 1)::text::xid8 where id = $1", params: [mid], expect: ["altered"], at: mid },
      { name: "delete a middle row", sql: "delete from audit.events where id = $1", params: [mid], expect: ["removed"], at: mid },
      { name: "delete the first row", sql: "delete from audit.events where id = $1", params: [first], expect: ["removed"], at: first },
      { name: "delete the last row", sql: "delete from audit.events where id = $1", params: [last], expect: ["removed"], at: last },
      { name: "delete every reveal", sql: "delete from audit.events where tenant_id = $1 and action = 'pii.reveal'", params: [trail.tenantId], expect: ["removed"] },
      { name: "back-date a row", sql: "update audit.events set occurred_at = occurred_at - interval '1 day' where id = $1", params: [mid], expect: ["altered"], at: mid },
      // a row's place in the chain is its id (seals name rows in id order)
      { name: "reorder two rows (swap positions)", sql: "update audit.events set id = case when id = $1::bigint then $2::bigint else $1::bigint end where id in ($1::bigint, $2::bigint)", params: [first, second], expect: ["altered"] },
      { name: "reorder two rows (swap content)", sql: `update audit.events e set action = s.action, details = s.details from (
          select id, (select action from audit.events where id = case when x.id = $1 then $2 else $1 end::bigint) as action,
                     (select details from audit.events where id = case when x.id = $1 then $2 else $1 end::bigint) as details
          from audit.events x where id in ($1, $2)) s where e.id = s.id`, params: [first, second], expect: ["altered"] },
      { name: "move a row to another tenant", sql: "update audit.events set tenant_id = gen_random_uuid() where id = $1", params: [mid], expect: ["removed"], at: mid },
      // written as if by a sealed transaction, back then: no seal names it
      { name: "insert a forged row into the sealed past", sql: `insert into audit.events (occurred_at, tx, tenant_id, action, outcome, details)
          select occurred_at, tx, tenant_id, 'pii.reveal', 'success', '{}' from audit.events where id = $1`, params: [mid], expect: ["out_of_order"] },
      { name: "pull in a sealed row of another chain", sql: "update audit.events set tenant_id = $1 where id = $2", params: [trail.tenantId, other.id], expect: ["out_of_order"], at: other.id },
      // the seals themselves
      { name: "rewrite a row hash in its seal", sql: "update audit.seals set row_hashes[1] = sha256(row_hashes[1]) where chain_key = $1 and seq = 1", params: [trail.tenantId], expect: ["altered"] },
      { name: "reorder two rows within their seal", sql: `update audit.seals set event_ids[1] = event_ids[2], event_ids[2] = event_ids[1], row_hashes[1] = row_hashes[2], row_hashes[2] = row_hashes[1]
          where chain_key = $1 and seq = (select min(seq) from audit.seals where chain_key = $1 and cardinality(event_ids) >= 2)`, params: [trail.tenantId], expect: ["altered"] },
      // a gone row is excused when its seal ended before the retention cutoff: moving the seal back must show
      { name: "delete a row and move its seal back before retention", sql: `with gone as (delete from audit.events where id = $1::bigint returning id)
          update audit.seals set first_at = '2001-01-01', last_at = '2001-01-31' where chain_key = $2 and (select id from gone) = any (event_ids)`,
        params: [mid, trail.tenantId], expect: ["altered"] },
      // with a later seal the gap shows; alone, its rows are sealed rows no seal names
      { name: "delete the first seal", sql: "delete from audit.seals where chain_key = $1 and seq = 1", params: [trail.tenantId], expect: ["removed", "out_of_order"] },
      { name: "delete every seal of the chain", sql: "delete from audit.seals where chain_key = $1", params: [trail.tenantId], expect: ["out_of_order"] },
    ];
    for (const t of tamperings) {
      await client.query("begin");
      try {
        await client.query("set local session_replication_role = replica"); // superuser: guard triggers off
        const res = await client.query(t.sql, t.params);
        assert.ok((res.rowCount ?? 0) > 0, `${t.name}: the tampering touched rows`);
        const fault = await verify();
        assert.ok(fault.problem && t.expect.includes(fault.problem), `${t.name}: detected as ${t.expect.join(" or ")} (${JSON.stringify(fault)})`);
        if (t.at) assert.equal(fault.event_id, t.at, `${t.name}: the tampered row is named (${JSON.stringify(fault)})`);
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

attackTest("audit: no API role can write, change, delete or truncate audit rows or seals, nor reach the chain's internals", async () => {
  const client = new pg.Client({ connectionString: env.testDbUrl });
  await client.connect();
  try {
    const { rows: [{ id: target }] } = await client.query("select audit.record_event('security.probe') :: text as id");
    const count = async () => Number((await client.query("select count(*) from audit.events")).rows[0].count);
    const roles = ["anon", "authenticated", "service_role", "authenticator", "supabase_auth_admin"];
    const writes = [
      `insert into audit.events (action) values ('forged')`,
      `insert into audit.events (action, tx) values ('forged', '1')`,
      `update audit.events set action = 'x' where id = ${target}`,
      `delete from audit.events where id = ${target}`,
      `truncate audit.events`,
      `insert into audit.seals (chain_key, seq, first_at, last_at, event_ids, row_hashes, hash)
         values (gen_random_uuid(), 1, now(), now(), array[${target}::bigint], array['\\x00'::bytea], '\\x00')`,
      `update audit.seals set hash = '\\x00'`,
      `delete from audit.seals`,
      `truncate audit.seals`,
      `update audit.sealer set sealed_below = '0', purged_before = now()`,
      `select audit.append_event(null, null, null, 'forged', null, null, null, null, null, 'success', null, null, null, '{}')`,
      `select audit.seal_range('0', pg_current_xact_id())`,
      `select audit.track('public.tenants')`,
      `select audit.untrack('public.tenants')`,
      // the retention purge with an interval of its own would drop every month but the last: the owner's (pg_cron's) job only
      `select audit.drop_partitions_older_than('1 month')`,
    ];
    // The functions' entry point and the sealer's job: service_role only (appending and sealing are not tampering).
    const serviceOnly = [
      `select audit.record_event('forged.by.api.role')`,
      `select audit.seal()`,
    ];
    // each statement works for the superuser (rolled back), so a refusal below is the role's, not a broken statement
    const invalid: string[] = [];
    for (const stmt of [...writes, ...serviceOnly]) {
      await client.query("begin");
      try {
        await client.query("set local session_replication_role = replica");
        await client.query(stmt);
      } catch (err) {
        invalid.push(`${stmt.slice(0, 60)}: ${(err as Error).message}`);
      } finally {
        await client.query("rollback");
      }
    }
    assert.deepEqual(invalid, [], "every statement is valid");
    let attacks = 0;
    const succeeded: string[] = [];
    const before = await count();
    const seals = async () =>
      new Map((await client.query("select chain_key || '/' || seq as key, md5(s::text) as sum from audit.seals s")).rows.map((r) => [r.key, r.sum]));
    const sealsBefore = await seals();
    const { rows: [{ row: original }] } = await client.query(`select to_jsonb(e) as row from audit.events e where id = ${target}`);
    for (const role of roles) {
      for (const stmt of [...writes, ...(role === "service_role" ? [] : serviceOnly)]) {
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
    const sealsAfter = await seals();
    assert.deepEqual([...sealsBefore].filter(([k, sum]) => sealsAfter.get(k) !== sum), [], "every seal is unchanged");
    console.log(`audit direct writes: ${attacks} refused`);
  } finally {
    await client.end();
  }
});
