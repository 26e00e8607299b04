// Attack 8, load: 200 requests at once on loopback, from the people of ten
// tenants, through all three APIs — each owner listing its employees and
// members, each new hire reading its own case, each owner its tickets — mixed
// with each owner's attempts on the next tenant. Bounded in time. Every
// answer carries only the caller's own tenant's data (exact ids), every
// cross-tenant attempt is refused, and nothing is a 5xx: a connection or
// session-variable leak between concurrent requests (the claims of one user
// seen by another's transaction) would show here.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { callFunction } from "../integration/_support/functions.ts";
import { userToken } from "../integration/_support/tokens.ts";
import { seedTenant } from "../../functions/admin/test-fixtures.ts";
import { seedTicket } from "../../functions/support/test-fixtures.ts";
import { newHire } from "../integration/onboarding-fixtures.ts";
import { attackTest, withFixtures } from "../security/_support/attack-test.ts";

const TENANTS = 10;
const REQUESTS = 200;
const BOUND_MS = 60_000;

interface Tenant {
  tenantId: string;
  hire: { user: { token: string }; caseId: string };
  ticketId: string;
  memberIds: Set<string>;
  employeeIds: Set<string>;
  ownerToken: string;
}

interface Probe {
  label: string;
  run: () => Promise<string | null>; // null when fine, else what went wrong
}

attackTest("load: 200 concurrent requests across ten tenants return only each caller's own data, within the time bound", withFixtures(async (f) => {
  const tenants: Tenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const t = await seedTenant(f.db, f.vault, 3);
    const hire = await newHire(f.db, t.tenantId);
    const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
    const { rows } = await sql<{ user_id: string }>`select user_id from public.memberships where tenant_id = ${t.tenantId}::uuid`.execute(f.db);
    tenants.push({
      tenantId: t.tenantId,
      hire,
      ticketId: ticket.id,
      memberIds: new Set(rows.map((r) => r.user_id)),
      employeeIds: new Set(t.employees.map((e) => e.id)),
      ownerToken: await userToken(t.users.owner.id),
    });
  }
  const kinds: ((t: Tenant, next: Tenant) => Probe)[] = [
    (t) => ({
      label: "employees",
      run: async () => {
        const r = await callFunction<{ items: { id: string; tenant_id: string }[] }>("admin", `/tenants/${t.tenantId}/employees`, { token: t.ownerToken });
        if (r.status !== 200) return `status ${r.status}`;
        const ids = new Set(r.body.items.map((e) => e.id));
        if (r.body.items.some((e) => e.tenant_id !== t.tenantId)) return "another tenant's employee";
        return ids.size === t.employeeIds.size && [...ids].every((id) => t.employeeIds.has(id)) ? null : "not exactly its own employees";
      },
    }),
    (t) => ({
      label: "members",
      run: async () => {
        const r = await callFunction<{ items: { user_id: string }[] }>("admin", `/tenants/${t.tenantId}/members`, { token: t.ownerToken });
        if (r.status !== 200) return `status ${r.status}`;
        return r.body.items.every((m) => t.memberIds.has(m.user_id)) && r.body.items.length === t.memberIds.size ? null : "not exactly its own members";
      },
    }),
    (t) => ({
      label: "my case",
      run: async () => {
        const r = await callFunction<{ items: { id: string; tenant_id: string }[] }>("onboarding", "/me/cases", { token: t.hire.user.token });
        if (r.status !== 200) return `status ${r.status}`;
        return r.body.items.length === 1 && r.body.items[0].id === t.hire.caseId && r.body.items[0].tenant_id === t.tenantId ? null : "not exactly its own case";
      },
    }),
    (t) => ({
      label: "tickets",
      run: async () => {
        const r = await callFunction<{ items: { id: string; tenant_id: string }[] }>("support", `/tenants/${t.tenantId}/tickets`, { token: t.ownerToken });
        if (r.status !== 200) return `status ${r.status}`;
        return r.body.items.every((x) => x.tenant_id === t.tenantId) && r.body.items.some((x) => x.id === t.ticketId) ? null : "not its own tickets";
      },
    }),
    (t, next) => ({
      label: "next tenant's employees",
      run: async () => {
        const r = await callFunction("admin", `/tenants/${next.tenantId}/employees`, { token: t.ownerToken });
        return r.status === 403 ? null : `status ${r.status}`;
      },
    }),
    (t, next) => ({
      label: "next tenant's case",
      run: async () => {
        const r = await callFunction("onboarding", `/me/cases/${next.hire.caseId}`, { token: t.hire.user.token });
        return r.status === 404 || r.status === 403 ? null : `status ${r.status}`;
      },
    }),
  ];
  const probes: Probe[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = tenants[i % TENANTS];
    const next = tenants[(i + 1) % TENANTS];
    const p = kinds[Math.floor(i / TENANTS) % kinds.length](t, next);
    probes.push({ label: `${p.label} (tenant ${i % TENANTS})`, run: p.run });
  }
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const results = await Promise.race([
    Promise.all(probes.map(async (p) => ({ label: p.label, problem: await p.run().catch((e) => `threw ${e}`) }))),
    new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`200 requests did not finish within ${BOUND_MS} ms`)), BOUND_MS);
    }),
  ]);
  clearTimeout(timer);
  const elapsed = Math.round(performance.now() - started);
  const problems = results.filter((r) => r.problem).map((r) => `${r.label}: ${r.problem}`);
  console.log(`load: ${REQUESTS} concurrent requests over ${TENANTS} tenants in ${elapsed} ms`);
  assert.deepEqual(problems, [], "every caller got exactly its own data, every cross-tenant attempt refused");
}));
