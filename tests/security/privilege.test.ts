// Attack 3, privilege: inside tenant A, every role tries every action above
// its rank. The actions are listed with the permission each needs; which
// roles hold it is read from the database's role→permission table (the
// permissions are data), so every role without it is tried. Then the
// hierarchy rules no permission expresses (an admin making an owner, an HR
// manager changing roles, removing or demoting the owner, inviting above
// one's rank), and the support agent: no PII reveal under an active grant,
// nothing at all after its grant expired, was revoked, denied or never
// decided. Each attempt is refused (403, or 404 where the row is invisible),
// 403s are audited, no answer carries A's protected values, and nothing of A
// changes.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { userToken } from "../integration/_support/tokens.ts";
import { seedGrant } from "../../functions/support/test-fixtures.ts";
import { attackTest, withWorld } from "./_support/attack-test.ts";
import { assertEnvelope, auditOf, tagged } from "./_support/http.ts";
import { disclosed, snapshotTenant, type VictimIds, type World } from "./_support/world.ts";

const ROLES = ["employee", "hr_manager", "admin", "owner"] as const;
type Role = (typeof ROLES)[number];

interface Action {
  name: string;
  permission: string;
  fn: string;
  method: string;
  path: (i: VictimIds) => string;
  body?: (w: World) => unknown;
}

const reason = { reason: "Privilege escalation probe" };
const ACTIONS: Action[] = [
  { name: "list members", permission: "members.read", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/members` },
  { name: "change a role", permission: "members.manage", fn: "admin", method: "PATCH", path: (i) => `/tenants/${i.tenantId}/members/${i.memberId}`, body: () => ({ role: "hr_manager" }) },
  { name: "remove a member", permission: "members.manage", fn: "admin", method: "DELETE", path: (i) => `/tenants/${i.tenantId}/members/${i.memberId}` },
  { name: "invite", permission: "invitations.manage", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/invitations`, body: () => ({ email: `p-${crypto.randomUUID().slice(0, 6)}@sec-test.kazi.example`, role: "employee" }) },
  { name: "list invitations", permission: "invitations.manage", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/invitations` },
  { name: "revoke an invitation", permission: "invitations.manage", fn: "admin", method: "DELETE", path: (i) => `/tenants/${i.tenantId}/invitations/${i.invitationId}` },
  { name: "list employees", permission: "employees.read", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/employees` },
  { name: "read an employee", permission: "employees.read", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/employees/${i.employeeId}` },
  { name: "look up by national ID", permission: "employees.read", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/employees/lookup`, body: (w) => ({ field: "national_id", value: w.a.employees[0].pii.national_id }) },
  { name: "delete an employee", permission: "employees.delete", fn: "admin", method: "DELETE", path: (i) => `/tenants/${i.tenantId}/employees/${i.employeeId}` },
  { name: "reveal PII", permission: "pii.reveal", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/employees/${i.employeeId}/reveal`, body: () => ({ field: "bank_account", ...reason }) },
  { name: "erase PII", permission: "employees.delete", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/employees/${i.employeeId}/erase-pii`, body: () => reason },
  { name: "read the audit trail", permission: "audit.read", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/audit-events` },
  { name: "start a key rotation", permission: "keys.rotate", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/key-rotations` },
  { name: "list key rotations", permission: "keys.rotate", fn: "admin", method: "GET", path: (i) => `/tenants/${i.tenantId}/key-rotations` },
  // A platform permission: no tenant role holds it, the owner included.
  { name: "offboard the tenant", permission: "platform.tenants.manage", fn: "admin", method: "POST", path: (i) => `/tenants/${i.tenantId}/offboarding`, body: (w) => ({ confirm_slug: w.a.slug, ...reason }) },
  { name: "list onboarding cases", permission: "onboarding.read", fn: "onboarding", method: "GET", path: (i) => `/cases?tenant_id=${i.tenantId}` },
  { name: "read an onboarding case", permission: "onboarding.read", fn: "onboarding", method: "GET", path: (i) => `/cases/${i.caseId}` },
  { name: "approve a case", permission: "onboarding.review", fn: "onboarding", method: "POST", path: (i) => `/cases/${i.caseId}/approve`, body: () => reason },
  { name: "reject a case", permission: "onboarding.review", fn: "onboarding", method: "POST", path: (i) => `/cases/${i.caseId}/reject`, body: () => reason },
  { name: "return a case", permission: "onboarding.review", fn: "onboarding", method: "POST", path: (i) => `/cases/${i.caseId}/return`, body: () => reason },
  { name: "list support tickets", permission: "support.use", fn: "support", method: "GET", path: (i) => `/tenants/${i.tenantId}/tickets` },
  { name: "open a support ticket", permission: "support.use", fn: "support", method: "POST", path: (i) => `/tenants/${i.tenantId}/tickets`, body: () => ({ subject: "probe", body: "privilege probe" }) },
  { name: "read a support ticket", permission: "support.use", fn: "support", method: "GET", path: (i) => `/tenants/${i.tenantId}/tickets/${i.ticketId}` },
  { name: "list support grants", permission: "support_access.approve", fn: "support", method: "GET", path: (i) => `/tenants/${i.tenantId}/access-grants` },
  { name: "approve support access", permission: "support_access.approve", fn: "support", method: "POST", path: (i) => `/tenants/${i.tenantId}/access-grants/${i.grantId}/approve` },
  { name: "deny support access", permission: "support_access.approve", fn: "support", method: "POST", path: (i) => `/tenants/${i.tenantId}/access-grants/${i.grantId}/deny` },
];

interface Attempt {
  who: string;
  token: string;
  what: string;
  fn: string;
  method: string;
  path: string;
  body?: unknown;
}

async function refused(w: World, a: Attempt, problems: string[]) {
  const res = await tagged(a.fn, a.path, { method: a.method, token: a.token, body: a.body });
  const label = `${a.who}: ${a.what} (${a.method} ${a.fn}${a.path})`;
  if (![403, 404].includes(res.status)) {
    problems.push(`${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    return;
  }
  assertEnvelope(res, label);
  const leak = disclosed(JSON.stringify(res.body), w.markers);
  if (leak.length) problems.push(`${label}: discloses ${leak}`);
  if (res.status === 403 && !(await auditOf(w.db, res.requestId)).some((r) => r.outcome === "denied")) {
    problems.push(`${label}: 403 not audited`);
  }
}

attackTest("privilege: every tenant role is refused every action above its rank, every hierarchy breach and every support overreach", withWorld(async (w) => {
  const { rows } = await sql<{ permission: string; roles: string[] }>`select permission, array_agg(role::text) as roles
    from public.role_permissions group by permission`.execute(w.db);
  const holders = new Map(rows.map((r) => [r.permission, new Set(r.roles)]));
  const tokens = Object.fromEntries(
    await Promise.all(ROLES.map(async (r) => [r, await userToken(w.a.users[r].id)] as const)),
  ) as Record<Role, string>;
  const attempts: Attempt[] = [];
  for (const act of ACTIONS) {
    assert.ok(holders.has(act.permission), `${act.name}: permission ${act.permission} exists`);
    for (const role of ROLES.filter((r) => !holders.get(act.permission)!.has(r))) {
      attempts.push({ who: role, token: tokens[role], what: act.name, fn: act.fn, method: act.method, path: act.path(w.ids), body: act.body?.(w) });
    }
  }
  const permissionAttempts = attempts.length;
  assert.ok(attempts.some((x) => x.who === "employee" && x.what === "approve a case"), "an employee tries to approve a case");
  assert.ok(attempts.some((x) => x.who === "hr_manager" && x.what === "change a role"), "an HR manager tries to change a role");

  // the hierarchy: nobody acts on, or makes, a role above their own
  const t = w.ids.tenantId;
  const member = (role: string) => `/tenants/${t}/members/${w.a.users[role as Role].id}`;
  const invite = (role: string) => ({ email: `h-${crypto.randomUUID().slice(0, 6)}@sec-test.kazi.example`, role });
  const hierarchy: Omit<Attempt, "token">[] = [
    { who: "admin", what: "make an employee owner", fn: "admin", method: "PATCH", path: member("employee"), body: { role: "owner" } },
    { who: "admin", what: "make itself owner", fn: "admin", method: "PATCH", path: member("admin"), body: { role: "owner" } },
    { who: "admin", what: "demote the owner", fn: "admin", method: "PATCH", path: member("owner"), body: { role: "employee" } },
    { who: "admin", what: "remove the owner", fn: "admin", method: "DELETE", path: member("owner") },
    { who: "admin", what: "invite an owner", fn: "admin", method: "POST", path: `/tenants/${t}/invitations`, body: invite("owner") },
    { who: "hr_manager", what: "invite an admin", fn: "admin", method: "POST", path: `/tenants/${t}/invitations`, body: invite("admin") },
    { who: "hr_manager", what: "invite an owner", fn: "admin", method: "POST", path: `/tenants/${t}/invitations`, body: invite("owner") },
    { who: "hr_manager", what: "make itself admin", fn: "admin", method: "PATCH", path: member("hr_manager"), body: { role: "admin" } },
    { who: "employee", what: "make itself owner", fn: "admin", method: "PATCH", path: member("employee"), body: { role: "owner" } },
    { who: "employee", what: "approve its own access grant decision", fn: "support", method: "POST", path: `/tenants/${t}/access-grants/${w.ids.grantId}/approve` },
  ];
  for (const h of hierarchy) attempts.push({ ...h, token: tokens[h.who as Role] });

  // the support agent: an active grant for A shows masked data, never plaintext
  const db = w.db;
  const agentWith = async (state: "active" | "expired" | "revoked" | "denied" | "requested") => {
    const { rows: [u] } = await sql<{ id: string }>`insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
      values (gen_random_uuid(), 'authenticated', 'authenticated', ${`agent-${state}-${crypto.randomUUID().slice(0, 6)}@sec-test.kazi.example`}, now(), '{}', '{}') returning id`.execute(db);
    await sql`insert into public.platform_staff (user_id, role) values (${u.id}, 'platform_support')`.execute(db);
    await seedGrant(db, t, u.id, state, w.a.users.owner.id);
    return { id: u.id, token: await userToken(u.id) };
  };
  const granted = (await agentWith("active")).token;
  const overreach: Omit<Attempt, "token" | "who">[] = [
    // reading one case under a grant is allowed (masked, audited as a grant use): checked below
    ...ACTIONS.filter((a) => a.fn !== "support" && a.name !== "read an onboarding case"),
    { name: "reveal a case's PII as its subject", fn: "onboarding", method: "POST", path: (i: VictimIds) => `/me/cases/${i.caseId}/reveal`, body: () => ({}) },
  ].map((a) => ({ what: a.name, fn: a.fn, method: a.method, path: a.path(w.ids), body: a.body?.(w) }));
  for (const o of overreach) attempts.push({ ...o, who: "agent with an active grant", token: granted });
  const grantedView = await tagged("support", `/agent/tenants/${t}/employees`, { token: granted });
  assert.equal(grantedView.status, 200, "under an active grant the agent sees the employee list");
  const piiValues = w.a.employees.flatMap((e) => Object.values(e.pii));
  assert.deepEqual(disclosed(JSON.stringify(grantedView.body), piiValues), [], "…masked: no plaintext PII");

  const caseView = await tagged("onboarding", `/cases/${w.ids.caseId}`, { token: granted });
  assert.equal(caseView.status, 200, "under an active grant the agent reads a case");
  assert.deepEqual(disclosed(JSON.stringify(caseView.body), w.markers), [], "…masked");
  assert.ok((await auditOf(w.db, caseView.requestId)).some((r) => r.action === "support_grant.used"), "…and the use of the grant is audited");

  const grantRoutes = [
    { what: "list employees", method: "GET", path: `/agent/tenants/${t}/employees` },
    { what: "read a ticket", method: "GET", path: `/agent/tickets/${w.ids.ticketId}` },
    { what: "reply to a ticket", method: "POST", path: `/agent/tickets/${w.ids.ticketId}/messages`, body: { body: "probe" } },
    { what: "add an internal note", method: "POST", path: `/agent/tickets/${w.ids.ticketId}/messages`, body: { body: "probe", internal: true } },
    { what: "change a ticket", method: "PATCH", path: `/agent/tickets/${w.ids.ticketId}`, body: { status: "closed" } },
  ];
  for (const state of ["expired", "revoked", "denied", "requested"] as const) {
    const { token } = await agentWith(state);
    for (const g of grantRoutes) attempts.push({ ...g, fn: "support", who: `agent with a ${state} grant`, token });
  }
  // a grant that expires while the agent works: valid a moment ago, expired now
  const expiring = await agentWith("active");
  assert.equal((await tagged("support", `/agent/tenants/${t}/employees`, { token: expiring.token })).status, 200);
  await sql`update public.support_access_grants set expires_at = now() - interval '1 second'
    where tenant_id = ${t}::uuid and support_user_id = ${expiring.id}::uuid`.execute(db);
  for (const g of grantRoutes) attempts.push({ ...g, fn: "support", who: "agent whose grant just expired", token: expiring.token });

  const before = await snapshotTenant(w.db, t);
  const problems: string[] = [];
  for (const a of attempts) await refused(w, a, problems);
  assert.deepEqual(problems, [], "every attempt above rank is refused");
  assert.equal(await snapshotTenant(w.db, t), before, "nothing of tenant A changed");
  console.log(`privilege: ${attempts.length} attempts (${permissionAttempts} by permission, ${hierarchy.length} hierarchy, ${attempts.length - permissionAttempts - hierarchy.length} support)`);
}));
