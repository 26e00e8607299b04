// Cross-tenant isolation, table-driven over every support route: the owner of
// tenant B (the strongest tenant role) is refused every tenant-A resource;
// an agent holding an active grant for B only is refused every tenant-A
// resource through every agent data route. Nothing of A is written or
// disclosed, and each refusal leaves a denied audit row.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import {
  AGENT_DATA_ROUTES,
  type AnyDbOf,
  type Ids,
  makeAgent,
  openFixtures,
  seedGrant,
  seedTenant,
  seedTicket,
  TENANT_ROUTES,
} from "../../functions/support/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

/** Everything of tenant A the routes could touch, as one comparable text. */
async function snapshot(db: AnyDbOf, tenantId: string): Promise<string> {
  const { rows: [r] } = await sql<{ t: string }>`select concat_ws('|',
      (select json_agg(t order by t.id) from public.support_tickets t where t.tenant_id = ${tenantId}::uuid)::text,
      (select json_agg(m order by m.id) from public.support_ticket_messages m where m.tenant_id = ${tenantId}::uuid)::text,
      (select json_agg(g order by g.id) from public.support_access_grants g where g.tenant_id = ${tenantId}::uuid)::text) as t`
    .execute(db);
  return r.t;
}

Deno.test({
  name: "support cross-tenant: the owner of B is refused (403, audited) every tenant-A resource through every tenant route",
  ignore: !served,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      const a = await seedTenant(f.db, f.vault, 1);
      const b = await seedTenant(f.db, f.vault, 0);
      const agent = await makeAgent(f.db);
      const ticket = await seedTicket(f.db, a.tenantId, a.users.owner.id, { subject: `A-secret-subject-${crypto.randomUUID()}` });
      const grant = await seedGrant(f.db, a.tenantId, agent.id, "requested");
      const ids: Ids = { tenant: a.tenantId, ticket: ticket.id, grant };
      const before = await snapshot(f.db, a.tenantId);
      const token = await userToken(b.users.owner.id);
      for (const c of TENANT_ROUTES) {
        const res = await callFunction<{ error: { code: string } }>("support", c.path(ids), { method: c.method, token, body: c.body?.(ids) });
        assert.equal(res.status, 403, `${c.name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "forbidden", c.name);
        const text = JSON.stringify(res.body);
        assert.ok(!text.includes("A-secret-subject") && !text.includes(ticket.internalNote), `${c.name} discloses nothing`);
      }
      assert.equal(await snapshot(f.db, a.tenantId), before, "nothing of tenant A changed");
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from audit.events
        where tenant_id = ${a.tenantId}::uuid and actor_id = ${b.users.owner.id}::uuid and outcome = 'denied'`.execute(f.db);
      assert.equal(n.n, TENANT_ROUTES.length, "one denied audit row per refused request");

      // A's ticket and grant ids through B's own paths: not found, never A's data
      const viaB: Ids = { ...ids, tenant: b.tenantId };
      for (const c of TENANT_ROUTES.filter((r) => r.path(ids).includes(ticket.id) || r.path(ids).includes(grant))) {
        const res = await callFunction<{ error: { code: string } }>("support", c.path(viaB), { method: c.method, token, body: c.body?.(viaB) });
        assert.equal(res.status, 404, `${c.name} via B: ${JSON.stringify(res.body)}`);
      }
      assert.equal(await snapshot(f.db, a.tenantId), before, "still nothing of tenant A changed");
    } finally {
      await f.close();
    }
  },
});

Deno.test({
  name: "support cross-tenant: an agent granted tenant B only is refused (403, audited) every tenant-A resource through every agent data route",
  ignore: !served,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      const a = await seedTenant(f.db, f.vault, 1);
      const b = await seedTenant(f.db, f.vault, 1);
      const agent = await makeAgent(f.db);
      await seedGrant(f.db, b.tenantId, agent.id, "active", b.users.owner.id);
      const ticketA = await seedTicket(f.db, a.tenantId, a.users.owner.id);
      const ticketB = await seedTicket(f.db, b.tenantId, b.users.owner.id);
      // someone else's active grant for A does not help this agent
      const otherAgent = await makeAgent(f.db);
      const otherGrant = await seedGrant(f.db, a.tenantId, otherAgent.id, "active", a.users.owner.id);
      const before = await snapshot(f.db, a.tenantId);
      const token = await userToken(agent.id);

      const idsA: Ids = { tenant: a.tenantId, ticket: ticketA.id, grant: otherGrant };
      for (const c of AGENT_DATA_ROUTES) {
        const res = await callFunction<{ error: { code: string; details: { reason?: string } } }>("support", c.path(idsA), {
          method: c.method,
          token,
          body: c.body?.(idsA),
        });
        assert.equal(res.status, 403, `${c.name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.details.reason, "no_active_grant", c.name);
        const text = JSON.stringify(res.body);
        assert.ok(!text.includes(ticketA.internalNote) && !text.includes(a.employees[0].last_name), `${c.name} discloses nothing`);
      }
      assert.equal(await snapshot(f.db, a.tenantId), before, "nothing of tenant A changed");
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from audit.events
        where actor_id = ${agent.id}::uuid and outcome = 'denied'`.execute(f.db);
      assert.equal(n.n, AGENT_DATA_ROUTES.length, "one denied audit row per refused request");
      const giveUp = await callFunction("support", `/agent/access-grants/${otherGrant}/revoke`, { method: "POST", token });
      assert.equal(giveUp.status, 404, "another agent's grant is not mine to revoke");

      // the same routes on B (granted) succeed: the refusals above are about the tenant, not the route
      const idsB: Ids = { tenant: b.tenantId, ticket: ticketB.id, grant: otherGrant };
      for (const c of AGENT_DATA_ROUTES) {
        const res = await callFunction("support", c.path(idsB), { method: c.method, token, body: c.body?.(idsB) });
        assert.ok(res.status === 200 || res.status === 201, `${c.name} on B: ${res.status} ${JSON.stringify(res.body)}`);
      }
      assert.equal(await snapshot(f.db, a.tenantId), before, "still nothing of tenant A changed");
    } finally {
      await f.close();
    }
  },
});
