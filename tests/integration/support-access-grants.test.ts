// Support access grants, served over HTTP: an agent requests access (reason,
// duration ≤ 72 h), a tenant admin approves or denies, either side revokes;
// under an active grant the agent lists the tenant's employees masked (never
// plaintext) and every use is audited (support.grant_used with the grant id);
// expired, revoked, denied and pending grants open nothing.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction, type CallResult } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import { maskField, PII_FIELDS } from "../../functions/_shared/pii/fields.ts";
import { auditEvents, makeAgent, openFixtures, seedGrant, seedTenant } from "../../functions/support/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

interface Err {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface Grant {
  id: string;
  tenant_id: string;
  support_user_id: string;
  status: string;
  state: string;
  requested_at: string;
  decided_by: string | null;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
}
interface EmployeePage {
  items: { id: string; last_name: string; masked: Record<string, string | null>; pii_unavailable: string[] }[];
  next_cursor: string | null;
  grant_id: string;
}

function dbTest(name: string, fn: (f: ReturnType<typeof openFixtures>) => Promise<void>) {
  Deno.test({
    name,
    ignore: !served,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const f = openFixtures(env.testDbUrl!, Deno.env.toObject());
      try {
        await fn(f);
      } finally {
        await f.close();
      }
    },
  });
}

dbTest("access grants: request → approve → masked employees (grant use audited) → tenant revokes → refused", async (f) => {
  const t = await seedTenant(f.db, f.vault, 3);
  const agent = await makeAgent(f.db);
  const agentToken = await userToken(agent.id);
  const adminToken = await userToken(t.users.admin.id);

  const requested = await callFunction<Grant>("support", "/agent/access-grants", {
    token: agentToken,
    body: { tenant_id: t.tenantId, reason: "Ticket: payroll export fails", duration_hours: 4 },
  });
  assert.equal(requested.status, 201, JSON.stringify(requested.body));
  assert.equal(requested.body.state, "requested");
  assert.equal(requested.body.support_user_id, agent.id);
  const hours = (Date.parse(requested.body.expires_at) - Date.parse(requested.body.requested_at)) / 3_600_000;
  assert.ok(Math.abs(hours - 4) < 0.01, `expires 4 h after the request (${hours})`);
  const grantId = requested.body.id;
  const [reqAudit] = await auditEvents(f.db, { action: "support.grant_requested", actorId: agent.id, resourceId: grantId });
  assert.equal(reqAudit?.tenant_id, t.tenantId);

  // pending: no access yet
  const early = await callFunction<Err>("support", `/agent/tenants/${t.tenantId}/employees`, { token: agentToken });
  assert.equal(early.status, 403);
  assert.equal(early.body.error.details.reason, "no_active_grant");

  const pending = await callFunction<{ items: Grant[] }>("support", `/tenants/${t.tenantId}/access-grants?state=requested`, { token: adminToken });
  assert.equal(pending.status, 200);
  assert.deepEqual(pending.body.items.map((g) => g.id), [grantId]);

  const approved = await callFunction<Grant>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: adminToken });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.state, "active");
  assert.equal(approved.body.decided_by, t.users.admin.id);
  assert.equal((await auditEvents(f.db, { action: "support.grant_approved", actorId: t.users.admin.id, resourceId: grantId })).length, 1);

  const again = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: adminToken });
  assert.equal(again.status, 409, "a decided grant cannot be decided again");
  const deny = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/deny`, { method: "POST", token: adminToken });
  assert.equal(deny.status, 409);

  const list = await callFunction<EmployeePage>("support", `/agent/tenants/${t.tenantId}/employees?limit=2`, { token: agentToken });
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.equal(list.body.grant_id, grantId);
  assert.equal(list.body.items.length, 2);
  assert.ok(list.body.next_cursor);
  const page2 = await callFunction<EmployeePage>("support", `/agent/tenants/${t.tenantId}/employees?limit=2&cursor=${list.body.next_cursor}`, { token: agentToken });
  assert.equal(page2.body.items.length, 1);
  assert.equal(page2.body.next_cursor, null);
  const all = [...list.body.items, ...page2.body.items];
  assert.deepEqual(all.map((e) => e.id).sort(), t.employees.map((e) => e.id).sort());
  const text = JSON.stringify([list.body, page2.body]);
  for (const e of t.employees) {
    for (const value of Object.values(e.pii)) assert.ok(!text.includes(value), "no plaintext protected value in the response");
  }
  for (const e of all) {
    assert.deepEqual(e.pii_unavailable, []);
    const seeded = t.employees.find((s) => s.id === e.id)!;
    for (const field of PII_FIELDS) {
      assert.equal(e.masked[field], maskField(field, seeded.pii[field]), `${field} is the mask of the stored value`);
      assert.notEqual(e.masked[field], seeded.pii[field]);
    }
  }
  const uses = await auditEvents(f.db, { action: "support.grant_used", actorId: agent.id, tenantId: t.tenantId });
  assert.equal(uses.length, 2, "one grant_used row per request");
  assert.ok(uses.every((u) => u.resource_id === grantId && u.details.grant_id === grantId && u.details.operation === "employees.list"));
  assert.ok(!JSON.stringify(uses).includes(t.employees[0].pii.national_id), "no plaintext in audit rows");

  const revoked = await callFunction<Grant>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/revoke`, { method: "POST", token: await userToken(t.users.owner.id) });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.state, "revoked");
  assert.equal(revoked.body.revoked_by, t.users.owner.id);
  assert.equal((await auditEvents(f.db, { action: "support.grant_revoked", actorId: t.users.owner.id, resourceId: grantId })).length, 1);
  const after = await callFunction<Err>("support", `/agent/tenants/${t.tenantId}/employees`, { token: agentToken });
  assert.equal(after.status, 403);
  const denied = await auditEvents(f.db, { action: "support.employees_listed", actorId: agent.id, tenantId: t.tenantId, outcome: "denied" });
  assert.equal(denied.length, 2, "both refusals (pending, revoked) audited");
  const revokeAgain = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/revoke`, { method: "POST", token: adminToken });
  assert.equal(revokeAgain.status, 409);
});

dbTest("access grants: request validation (400), non-agents (403), unknown tenant (404), a second open request (409)", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const token = await userToken(agent.id);
  const bad: unknown[] = [
    { tenant_id: t.tenantId, reason: "short", duration_hours: 4 },
    { tenant_id: t.tenantId, reason: "A long enough reason", duration_hours: 73 },
    { tenant_id: t.tenantId, reason: "A long enough reason", duration_hours: 0 },
    { tenant_id: t.tenantId, reason: "A long enough reason", duration_hours: 1.5 },
    { tenant_id: "nope", reason: "A long enough reason", duration_hours: 4 },
    { reason: "A long enough reason", duration_hours: 4 },
  ];
  for (const body of bad) {
    const res = await callFunction<Err>("support", "/agent/access-grants", { token, body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  const count = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from public.support_access_grants where support_user_id = ${agent.id}::uuid`.execute(f.db)).rows[0].n;
  assert.equal(await count(), 0, "nothing written");

  const body = { tenant_id: t.tenantId, reason: "Investigating a ticket", duration_hours: 72 };
  for (const who of [t.users.owner.id, (await makeAgent(f.db, "platform_admin")).id]) {
    const res = await callFunction<Err>("support", "/agent/access-grants", { token: await userToken(who), body });
    assert.equal(res.status, 403, "only platform support agents request access");
    assert.equal((await auditEvents(f.db, { action: "support.grant_requested", actorId: who, outcome: "denied" })).length, 1);
  }
  const unknown = await callFunction<Err>("support", "/agent/access-grants", { token, body: { ...body, tenant_id: crypto.randomUUID() } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, "not_found");

  const first = await callFunction<Grant>("support", "/agent/access-grants", { token, body });
  assert.equal(first.status, 201);
  const second = await callFunction<Err>("support", "/agent/access-grants", { token, body });
  assert.equal(second.status, 409);
  assert.equal(second.body.error.details.grant_id, first.body.id);
  assert.equal(await count(), 1);
});

dbTest("access grants: deny; hr_manager and other tenants' admins cannot decide (403 audited); unknown grant 404; the grantee cannot approve", async (f) => {
  const t = await seedTenant(f.db, f.vault, 1);
  const other = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const grantId = await seedGrant(f.db, t.tenantId, agent.id, "requested");

  const hr = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: await userToken(t.users.hr_manager.id) });
  assert.equal(hr.status, 403);
  assert.equal((await auditEvents(f.db, { action: "support.grant_approved", actorId: t.users.hr_manager.id, outcome: "denied" })).length, 1);
  const list = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants`, { token: await userToken(t.users.hr_manager.id) });
  assert.equal(list.status, 403);
  // the other tenant's admin, through their own tenant's path: the grant is not theirs
  const viaOther = await callFunction<Err>("support", `/tenants/${other.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: await userToken(other.users.admin.id) });
  assert.equal(viaOther.status, 404);
  const missing = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${crypto.randomUUID()}/approve`, { method: "POST", token: await userToken(t.users.admin.id) });
  assert.equal(missing.status, 404);
  // the grantee calling the tenant route: not an approver
  const self = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: await userToken(agent.id) });
  assert.equal(self.status, 403);

  const denied = await callFunction<Grant>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/deny`, { method: "POST", token: await userToken(t.users.owner.id) });
  assert.equal(denied.status, 200);
  assert.equal(denied.body.state, "denied");
  assert.equal((await auditEvents(f.db, { action: "support.grant_denied", actorId: t.users.owner.id, resourceId: grantId })).length, 1);
  const use = await callFunction<Err>("support", `/agent/tenants/${t.tenantId}/employees`, { token: await userToken(agent.id) });
  assert.equal(use.status, 403, "a denied request opens nothing");
  const approveDenied = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${grantId}/approve`, { method: "POST", token: await userToken(t.users.owner.id) });
  assert.equal(approveDenied.status, 409);
});

dbTest("access grants: an expired grant opens nothing and cannot be approved; the agent lists and gives up their own grants", async (f) => {
  const t = await seedTenant(f.db, f.vault, 1);
  const agent = await makeAgent(f.db);
  const token = await userToken(agent.id);
  const expired = await seedGrant(f.db, t.tenantId, agent.id, "expired", t.users.owner.id);
  const res = await callFunction<Err>("support", `/agent/tenants/${t.tenantId}/employees`, { token });
  assert.equal(res.status, 403);
  const approve = await callFunction<Err>("support", `/tenants/${t.tenantId}/access-grants/${expired}/approve`, { method: "POST", token: await userToken(t.users.owner.id) });
  assert.equal(approve.status, 409);
  assert.equal(approve.body.error.details.state, "expired");

  const active = await seedGrant(f.db, t.tenantId, agent.id, "active", t.users.owner.id);
  const mine = await callFunction<{ items: Grant[] }>("support", "/agent/access-grants", { token });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body.items.map((g) => [g.id, g.state]).sort(), [[active, "active"], [expired, "expired"]].sort());
  const onlyActive = await callFunction<{ items: Grant[] }>("support", "/agent/access-grants?state=active", { token });
  assert.deepEqual(onlyActive.body.items.map((g) => g.id), [active]);
  const bad = await callFunction<Err>("support", "/agent/access-grants?state=forever", { token });
  assert.equal(bad.status, 400);

  // another agent cannot give up my grant, nor see it
  const other = await makeAgent(f.db);
  const steal = await callFunction<Err>("support", `/agent/access-grants/${active}/revoke`, { method: "POST", token: await userToken(other.id) });
  assert.equal(steal.status, 404);
  const theirs = await callFunction<{ items: Grant[] }>("support", "/agent/access-grants", { token: await userToken(other.id) });
  assert.deepEqual(theirs.body.items, []);

  const gaveUp = await callFunction<{ id: string; revoked_at: string }>("support", `/agent/access-grants/${active}/revoke`, { method: "POST", token });
  assert.equal(gaveUp.status, 200);
  assert.ok(gaveUp.body.revoked_at);
  const [ev] = await auditEvents(f.db, { action: "support.grant_revoked", actorId: agent.id, resourceId: active });
  assert.equal(ev?.details.by, "grantee");
  const { rows: [g] } = await sql<{ revoked_by: string }>`select revoked_by from public.support_access_grants where id = ${active}::uuid`.execute(f.db);
  assert.equal(g.revoked_by, agent.id);
  const twice = await callFunction<Err>("support", `/agent/access-grants/${active}/revoke`, { method: "POST", token });
  assert.equal(twice.status, 409);
  const after = await callFunction<Err>("support", `/agent/tenants/${t.tenantId}/employees`, { token });
  assert.equal(after.status, 403);
  // a tenant user is not an agent
  const tenantUser = await callFunction<Err>("support", "/agent/access-grants", { token: await userToken(t.users.owner.id) });
  assert.equal(tenantUser.status, 403);
});

dbTest("access grants: concurrent requests for the same tenant make exactly one grant (the others 409)", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const token = await userToken(agent.id);
  const body = { tenant_id: t.tenantId, reason: "Racing requests for one tenant", duration_hours: 2 };
  const results = await Promise.all(Array.from({ length: 5 }, () => callFunction("support", "/agent/access-grants", { token, body })));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
  const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.support_access_grants
    where support_user_id = ${agent.id}::uuid and tenant_id = ${t.tenantId}::uuid`.execute(f.db);
  assert.equal(n.n, 1);
});

dbTest("access grants: a request racing one made outside the API (PostgREST) is refused by the database's rule: 409, one pending request", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const token = await userToken(agent.id);
  const body = { tenant_id: t.tenantId, reason: "Racing a request made through PostgREST", duration_hours: 2 };
  let viaApi: Promise<CallResult<Err>> | undefined;
  let answered = false;
  // The agent's own insert as PostgREST runs it (role and claims), held open
  // until the API's insert waits on it: the API's check cannot see it yet.
  await f.db.transaction().execute(async (trx) => {
    const { rows: [{ pid }] } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
    await sql`select set_config('request.jwt.claims', ${JSON.stringify({ sub: agent.id, role: "authenticated" })}, true)`.execute(trx);
    await sql`set local role authenticated`.execute(trx);
    await sql`insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at)
      values (${t.tenantId}::uuid, ${agent.id}::uuid, 'Asked through PostgREST', now() + interval '1 hour')`.execute(trx);
    viaApi = callFunction<Err>("support", "/agent/access-grants", { token, body });
    viaApi.then(() => answered = true, () => answered = true);
    for (let waited = 0; !answered; waited += 25) {
      const { rows } = await sql`select 1 from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`.execute(f.db);
      if (rows.length) break;
      assert.ok(waited < 10_000, "the API's insert never waited on the open request");
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  const res = await viaApi!;
  assert.equal(res.status, 409, `${res.status} ${JSON.stringify(res.body)}`);
  assert.deepEqual(Object.keys(res.body.error).sort(), ["code", "details", "message", "request_id"], "the error envelope");
  assert.equal(res.body.error.code, "conflict");
  assert.match(res.body.error.message, /already have a pending request/);
  const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.support_access_grants
    where support_user_id = ${agent.id}::uuid and tenant_id = ${t.tenantId}::uuid`.execute(f.db);
  assert.equal(n.n, 1, "one pending request");
});
