// Cross-tenant isolation, table-driven over every admin route: the owner of
// tenant B (the strongest tenant role) is refused every tenant-A resource,
// nothing of A is written or disclosed, and each refusal leaves a denied
// audit row. Tenant-A ids used through tenant-B paths are simply not found.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import { type RouteIds, openFixtures, seedTenant, TENANT_ROUTES } from "../../functions/admin/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

Deno.test({
  name: "admin cross-tenant: the owner of B is refused (403, audited) every tenant-A resource through every route",
  ignore: !served,
  async fn() {
    const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      const a = await seedTenant(f.db, f.vault, 1);
      const b = await seedTenant(f.db, f.vault, 1);
      const { rows: [job] } = await sql<{ id: string }>`insert into private.key_rotation_jobs
        (kind, tenant_id, target_version, status, finished_at) values ('data_key_reencrypt', ${a.tenantId}::uuid, 2, 'completed', now())
        returning id`.execute(f.db);
      const { rows: [inv] } = await sql<{ id: string }>`insert into public.invitations (tenant_id, email, role, token_hash, expires_at)
        values (${a.tenantId}::uuid, ${`pending-${a.slug}@admin-test.kazi.example`}, 'employee', ${crypto.getRandomValues(new Uint8Array(32))},
                now() + interval '7 days') returning id`.execute(f.db);
      const ids: RouteIds = { tenant: a.tenantId, invitation: inv.id, employee: a.employees[0].id, member: a.users.employee.id, job: job.id, pii: a.employees[0].pii };
      const snapshot = async () => (await sql<{ t: string }>`select (
          select json_agg(e order by e.id) from public.employees e where e.tenant_id = ${a.tenantId}::uuid)::text
          || (select json_agg(m order by m.id) from public.memberships m where m.tenant_id = ${a.tenantId}::uuid)::text
          || coalesce((select json_agg(i order by i.id) from public.invitations i where i.tenant_id = ${a.tenantId}::uuid)::text, '')
          || (select count(*) from private.tenant_data_keys k where k.tenant_id = ${a.tenantId}::uuid)::text as t`.execute(f.db)).rows[0].t;
      const before = await snapshot();
      const token = await userToken(b.users.owner.id);
      const ua = `cross-tenant-probe-${crypto.randomUUID()}`;
      for (const c of TENANT_ROUTES) {
        const res = await callFunction<{ error: { code: string } }>("admin", c.path(ids), {
          method: c.method, token, body: c.body?.(ids), headers: { "x-forwarded-for": "198.51.100.23", "user-agent": ua },
        });
        assert.equal(res.status, 403, `${c.name}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "forbidden", c.name);
        const text = JSON.stringify(res.body);
        assert.ok(!text.includes(a.employees[0].last_name) && !text.includes(a.users.owner.email), `${c.name} discloses nothing`);
      }
      assert.equal(await snapshot(), before, "nothing of tenant A changed");
      const { rows: denied } = await sql<{ ip: string; user_agent: string; request_id: string | null }>`
        select host(ip_address) as ip, user_agent, request_id from audit.events
        where tenant_id = ${a.tenantId}::uuid and actor_id = ${b.users.owner.id}::uuid and outcome = 'denied'`.execute(f.db);
      assert.equal(denied.length, TENANT_ROUTES.length, "one denied audit row per refused request");
      assert.ok(denied.every((d) => d.ip === "198.51.100.23" && d.user_agent === ua && d.request_id), "with ip, user agent and request id");

      // A's ids through B's own tenant paths: not found, never A's data
      const viaB: RouteIds = { ...ids, tenant: b.tenantId };
      for (const c of TENANT_ROUTES.filter((r) => [ids.employee, ids.member, ids.invitation].some((id) => r.path(ids).includes(id)))) {
        const res = await callFunction<{ error: { code: string } }>("admin", c.path(viaB), { method: c.method, token, body: c.body?.(viaB) });
        assert.equal(res.status, 404, `${c.name} via B: ${JSON.stringify(res.body)}`);
      }
      const lookup = await callFunction<{ items: unknown[] }>("admin", `/tenants/${b.tenantId}/employees/lookup`, {
        token, body: { field: "national_id", value: a.employees[0].pii.national_id },
      });
      assert.equal(lookup.status, 200);
      assert.deepEqual(lookup.body.items, [], "blind indexes are per tenant: A's value finds nothing in B");
      assert.equal(await snapshot(), before, "still nothing of tenant A changed");
    } finally {
      await f.close();
    }
  },
});
