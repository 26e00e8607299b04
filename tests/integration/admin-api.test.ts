// The served admin function, endpoint by endpoint: happy path and its
// 400/401/403/404/409/422 cases, with the audit rows each security event
// leaves. Every test creates its own tenants and users.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import {
  addEmployee,
  addMember,
  auditEvents,
  createUser,
  makePlatformStaff,
  openFixtures,
  seedTenant,
} from "../../functions/admin/test-fixtures.ts";
import { hashInvitationToken } from "../../functions/_shared/invitation-token.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");
const fixtures = () => openFixtures(env.testDbUrl!, Deno.env.toObject());

type Err = { error: { code: string; message: string; details: Record<string, unknown>; request_id: string } };
// deno-lint-ignore no-explicit-any
type Any = any;

const call = async (path: string, o: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  await callFunction<Any>("admin", path, o);

function test(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `admin: ${name}`, ignore: !served, fn });
}

test("POST /tenants: a platform admin creates a tenant with an existing user as owner (audited); 400/401/403/409", async () => {
  const f = await fixtures();
  try {
    const admin = await makePlatformStaff(f.db, "platform_admin");
    const owner = await createUser(f.db, "owner");
    const token = await userToken(admin.id);
    const slug = `acme-${crypto.randomUUID().slice(0, 8)}`;
    const res = await call("/tenants", { token, body: { name: "Acme Ltd", slug, owner_email: owner.email.toUpperCase() } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.tenant.slug, slug);
    assert.deepEqual(res.body.owner, { user_id: owner.id, invitation_id: null, invitation_token: null });
    const { rows: [m] } = await sql<{ role: string }>`select role from public.memberships
      where tenant_id = ${res.body.tenant.id}::uuid and user_id = ${owner.id}::uuid`.execute(f.db);
    assert.equal(m.role, "owner");
    const [ev] = await auditEvents(f.db, { tenantId: res.body.tenant.id, action: "tenant.created", actorId: admin.id });
    assert.equal(ev.outcome, "success");
    assert.equal(ev.request_id, res.headers.get("x-request-id"));

    const mine = await call("/tenants", { token: await userToken(owner.id) });
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.items.map((x: Any) => [x.slug, x.my_role]), [[slug, "owner"]], "a member sees only their tenants");
    const all = await call(`/tenants?q=${slug}&limit=1`, { token });
    assert.deepEqual(all.body.items.map((x: Any) => [x.id, x.my_role]), [[res.body.tenant.id, null]], "platform admins see every tenant");
    assert.equal((await call("/tenants?limit=1000", { token })).status, 400);
    const other = await seedTenant(f.db, f.vault, 0);
    const p1 = await call("/tenants?limit=1", { token });
    const p2 = await call(`/tenants?limit=1&cursor=${p1.body.next_cursor}`, { token });
    assert.equal(p2.status, 200);
    assert.ok(p1.body.items[0].name <= p2.body.items[0].name && p1.body.items[0].id !== p2.body.items[0].id, "keyset pages by name");
    assert.equal((await call(`/tenants?q=${other.slug}`, { token: await userToken(owner.id) })).body.items.length, 0);

    const again = await call("/tenants", { token, body: { name: "Acme again", slug, owner_email: owner.email } });
    assert.equal(again.status, 409);
    assert.equal((again.body as Err).error.code, "conflict");

    const bad = await call("/tenants", { token, body: { name: "", slug: "Not A Slug", owner_email: "nope" } });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((bad.body as Err).error.details.fields as object).sort(), ["name", "owner_email", "slug"]);

    assert.equal((await call("/tenants", { body: { name: "x", slug: "xx-yy", owner_email: "a@b.co" } })).status, 401);

    const nobody = await createUser(f.db, "nobody");
    const refused = await call("/tenants", { token: await userToken(nobody.id), body: { name: "Evil", slug: `evil-${slug}`, owner_email: nobody.email } });
    assert.equal(refused.status, 403);
    const denied = await auditEvents(f.db, { action: "tenant.created", actorId: nobody.id, outcome: "denied" });
    assert.equal(denied.length, 1, "the refusal is audited");
    const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.tenants where slug = ${"evil-" + slug}`.execute(f.db);
    assert.equal(n.n, 0, "nothing written");
  } finally {
    await f.close();
  }
});

test("POST /tenants: an unknown owner email gets an owner invitation whose token is returned once and stored hashed", async () => {
  const f = await fixtures();
  try {
    const admin = await makePlatformStaff(f.db, "platform_admin");
    const email = `new-owner-${crypto.randomUUID().slice(0, 8)}@admin-test.kazi.example`;
    const res = await call("/tenants", { token: await userToken(admin.id), body: { name: "Beta", slug: `beta-${crypto.randomUUID().slice(0, 8)}`, owner_email: email } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.owner.user_id, null);
    const token: string = res.body.owner.invitation_token;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const { rows: [inv] } = await sql<{ role: string; token_hash: Uint8Array; email: string }>`
      select role, token_hash, email from public.invitations where id = ${res.body.owner.invitation_id}::uuid`.execute(f.db);
    assert.equal(inv.role, "owner");
    assert.equal(inv.email, email);
    assert.deepEqual(new Uint8Array(inv.token_hash), await hashInvitationToken(token));
  } finally {
    await f.close();
  }
});

test("members: list with emails; invite (token once, 409 on repeat, 403 above own rank, 400); role change and removal audited", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 0);
    const admin = await userToken(t.users.admin.id);
    const list = await call(`/tenants/${t.tenantId}/members`, { token: admin });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((m: Any) => m.role), ["owner", "admin", "hr_manager", "employee"]);
    assert.ok(list.body.items.every((m: Any) => m.email && m.email.endsWith("@admin-test.kazi.example")));
    assert.equal((await call(`/tenants/${t.tenantId}/members`, { token: await userToken(t.users.employee.id) })).status, 403);

    const email = `invitee-${crypto.randomUUID().slice(0, 8)}@admin-test.kazi.example`;
    const inv = await call(`/tenants/${t.tenantId}/invitations`, { token: admin, body: { email, role: "hr_manager" } });
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
    assert.equal(inv.body.invitation.role, "hr_manager");
    const { rows: [stored] } = await sql<{ token_hash: Uint8Array }>`select token_hash from public.invitations
      where id = ${inv.body.invitation.id}::uuid`.execute(f.db);
    assert.deepEqual(new Uint8Array(stored.token_hash), await hashInvitationToken(inv.body.token));
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "member.invited", actorId: t.users.admin.id })).length, 1);
    const again = await call(`/tenants/${t.tenantId}/invitations`, { token: admin, body: { email, role: "employee" } });
    assert.equal(again.status, 409);
    const member = await call(`/tenants/${t.tenantId}/invitations`, { token: admin, body: { email: t.users.employee.email, role: "employee" } });
    assert.equal(member.status, 409, "already a member");
    const listed = await call(`/tenants/${t.tenantId}/invitations?state=pending`, { token: admin });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((i: Any) => [i.id, i.state]), [[inv.body.invitation.id, "pending"]]);
    assert.ok(!JSON.stringify(listed.body).includes(inv.body.token), "the token is never shown again");
    const revoked = await call(`/tenants/${t.tenantId}/invitations/${inv.body.invitation.id}`, { token: admin, method: "DELETE" });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.state, "revoked");
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "invitation.revoked", resourceId: inv.body.invitation.id })).length, 1);
    assert.equal((await call(`/tenants/${t.tenantId}/invitations/${inv.body.invitation.id}`, { token: admin, method: "DELETE" })).status, 409);
    assert.equal((await call(`/tenants/${t.tenantId}/invitations/${crypto.randomUUID()}`, { token: admin, method: "DELETE" })).status, 404);
    assert.equal((await call(`/tenants/${t.tenantId}/invitations?state=bogus`, { token: admin })).status, 400);
    assert.equal((await call(`/tenants/${t.tenantId}/invitations`, { token: await userToken(t.users.employee.id) })).status, 403);
    const reinvite = await call(`/tenants/${t.tenantId}/invitations`, { token: admin, body: { email, role: "employee" } });
    assert.equal(reinvite.status, 201, "a revoked invitation no longer blocks a new one");
    const hr = await userToken(t.users.hr_manager.id);
    const above = await call(`/tenants/${t.tenantId}/invitations`, { token: hr, body: { email: `x-${email}`, role: "admin" } });
    assert.equal(above.status, 403);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "member.invited", actorId: t.users.hr_manager.id, outcome: "denied" })).length, 1);
    const bad = await call(`/tenants/${t.tenantId}/invitations`, { token: admin, body: { email: "not-an-email", role: "boss" } });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys((bad.body as Err).error.details.fields as object).sort(), ["email", "role"]);

    // role change: admin promotes the employee; refused above own rank; 404; last owner stays
    const emp = t.users.employee.id;
    const ok = await call(`/tenants/${t.tenantId}/members/${emp}`, { token: admin, method: "PATCH", body: { role: "hr_manager" } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual([ok.body.previous_role, ok.body.role], ["employee", "hr_manager"]);
    const [changed] = await auditEvents(f.db, { tenantId: t.tenantId, action: "member.role_changed", actorId: t.users.admin.id, outcome: "success" });
    assert.deepEqual(changed.details, { from: "employee", to: "hr_manager" });
    const toOwner = await call(`/tenants/${t.tenantId}/members/${emp}`, { token: admin, method: "PATCH", body: { role: "owner" } });
    assert.equal(toOwner.status, 403, "an admin cannot grant owner");
    const demoteOwner = await call(`/tenants/${t.tenantId}/members/${t.users.owner.id}`, { token: admin, method: "PATCH", body: { role: "employee" } });
    assert.equal(demoteOwner.status, 403, "an admin cannot change the owner");
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "member.role_changed", actorId: t.users.admin.id, outcome: "denied" })).length, 2);
    const missing = await call(`/tenants/${t.tenantId}/members/${crypto.randomUUID()}`, { token: admin, method: "PATCH", body: { role: "employee" } });
    assert.equal(missing.status, 404);
    const lastOwner = await call(`/tenants/${t.tenantId}/members/${t.users.owner.id}`, {
      token: await userToken(t.users.owner.id), method: "PATCH", body: { role: "admin" },
    });
    assert.equal(lastOwner.status, 422);
    assert.equal((lastOwner.body as Err).error.code, "business_rule");
    const badRole = await call(`/tenants/${t.tenantId}/members/${emp}`, { token: admin, method: "PATCH", body: { role: "platform_admin" } });
    assert.equal(badRole.status, 400);

    // removal
    const removed = await call(`/tenants/${t.tenantId}/members/${emp}`, { token: admin, method: "DELETE" });
    assert.equal(removed.status, 200);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "member.removed", actorId: t.users.admin.id, resourceId: emp })).length, 1);
    assert.equal((await call(`/tenants/${t.tenantId}/members/${emp}`, { token: admin, method: "DELETE" })).status, 404);
    const ownerGone = await call(`/tenants/${t.tenantId}/members/${t.users.owner.id}`, { token: admin, method: "DELETE" });
    assert.equal(ownerGone.status, 403, "an admin cannot remove the owner");
  } finally {
    await f.close();
  }
});

test("employees: masked list with filters, search and keyset pagination; 400/403", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 0);
    const a = await addEmployee(f.db, f.vault, t.tenantId, { first_name: "Achieng", last_name: "Otieno", department: "Finance" });
    const b = await addEmployee(f.db, f.vault, t.tenantId, { first_name: "Baraka", last_name: "Mwangi", department: "Sales" });
    const c = await addEmployee(f.db, f.vault, t.tenantId, { first_name: "Chebet", last_name: "Kiprop", department: "Sales", status: "on_leave" });
    const hr = await userToken(t.users.hr_manager.id);
    const base = `/tenants/${t.tenantId}/employees`;
    const p1 = await call(`${base}?limit=2`, { token: hr });
    assert.equal(p1.status, 200, JSON.stringify(p1.body));
    assert.deepEqual(p1.body.items.map((e: Any) => e.last_name), ["Kiprop", "Mwangi"]);
    assert.ok(p1.body.next_cursor);
    const p2 = await call(`${base}?limit=2&cursor=${p1.body.next_cursor}`, { token: hr });
    assert.deepEqual(p2.body.items.map((e: Any) => e.last_name), ["Otieno"]);
    assert.equal(p2.body.next_cursor, null);
    const first = p1.body.items[0];
    assert.equal(first.masked.kra_pin, c.pii.kra_pin.slice(0, 3) + "******" + c.pii.kra_pin.slice(-2));
    assert.equal(first.masked.national_id, "****" + c.pii.national_id.slice(-4));
    assert.equal(first.date_of_birth, "1990-04-01");
    const text = JSON.stringify([p1.body, p2.body]);
    for (const e of [a, b, c]) for (const v of Object.values(e.pii)) assert.ok(!text.includes(v), "no plaintext in a list");
    assert.ok(!text.includes("ciphertext") && !text.includes("blind_index"));

    const sales = await call(`${base}?department=Sales&status=active`, { token: hr });
    assert.deepEqual(sales.body.items.map((e: Any) => e.id), [b.id]);
    const search = await call(`${base}?q=${encodeURIComponent("cheb")}`, { token: hr });
    assert.deepEqual(search.body.items.map((e: Any) => e.id), [c.id]);
    const wild = await call(`${base}?q=${encodeURIComponent("%")}`, { token: hr });
    assert.deepEqual(wild.body.items, [], "LIKE wildcards are literal");

    assert.equal((await call(`${base}?limit=0`, { token: hr })).status, 400);
    assert.equal((await call(`${base}?status=retired`, { token: hr })).status, 400);
    const badCursor = await call(`${base}?cursor=bm90LWpzb24`, { token: hr });
    assert.equal(badCursor.status, 400);
    assert.ok((badCursor.body as Err).error.details.fields);
    assert.equal((await call(`/tenants/not-a-uuid/employees`, { token: hr })).status, 400);
    const emp = await call(base, { token: await userToken(t.users.employee.id) });
    assert.equal(emp.status, 403);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "employees.list", actorId: t.users.employee.id, outcome: "denied" })).length, 1);
  } finally {
    await f.close();
  }
});

test("employees: exact lookup by national ID, phone or KRA PIN through blind indexes (normalised input); 400 on a bad value", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 3);
    const target = t.employees[1];
    const hr = await userToken(t.users.hr_manager.id);
    const path = `/tenants/${t.tenantId}/employees/lookup`;
    const byId = await call(path, { token: hr, body: { field: "national_id", value: target.pii.national_id.replace(/^(\d{4})/, "$1 ") } });
    assert.equal(byId.status, 200, JSON.stringify(byId.body));
    assert.deepEqual(byId.body.items.map((e: Any) => e.id), [target.id]);
    const local = "0" + target.pii.phone.slice(4);
    const byPhone = await call(path, { token: hr, body: { field: "phone", value: local } });
    assert.deepEqual(byPhone.body.items.map((e: Any) => e.id), [target.id]);
    const byPin = await call(path, { token: hr, body: { field: "kra_pin", value: target.pii.kra_pin.toLowerCase() } });
    assert.deepEqual(byPin.body.items.map((e: Any) => e.id), [target.id]);
    const none = await call(path, { token: hr, body: { field: "kra_pin", value: "A000000000Z" } });
    assert.deepEqual(none.body.items, []);
    const bad = await call(path, { token: hr, body: { field: "kra_pin", value: "B12" } });
    assert.equal(bad.status, 400);
    assert.ok(!JSON.stringify(bad.body).includes("B12"), "the bad value is not echoed");
    assert.equal((await call(path, { token: hr, body: { field: "bank_account", value: "123456" } })).status, 400);
    const [ev] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.lookup", actorId: t.users.hr_manager.id });
    assert.equal(ev.details.field, "kra_pin");
    assert.ok(!JSON.stringify(ev).includes(target.pii.kra_pin));
    assert.equal((await call(path, { token: await userToken(t.users.employee.id), body: { field: "phone", value: local } })).status, 403);
  } finally {
    await f.close();
  }
});

test("employees: get one (masked), 404/400; soft-delete 403 for HR, 200 for admin, 409 again, then gone", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 1);
    const e = t.employees[0];
    const hr = await userToken(t.users.hr_manager.id);
    const admin = await userToken(t.users.admin.id);
    const one = await call(`/tenants/${t.tenantId}/employees/${e.id}`, { token: hr });
    assert.equal(one.status, 200);
    assert.equal(one.body.masked.phone, "+2547******" + e.pii.phone.slice(-2));
    assert.ok(!JSON.stringify(one.body).includes(e.pii.phone));
    assert.equal((await call(`/tenants/${t.tenantId}/employees/${crypto.randomUUID()}`, { token: hr })).status, 404);
    assert.equal((await call(`/tenants/${t.tenantId}/employees/123`, { token: hr })).status, 400);

    const hrDelete = await call(`/tenants/${t.tenantId}/employees/${e.id}`, { token: hr, method: "DELETE" });
    assert.equal(hrDelete.status, 403, "HR managers have no employees.delete");
    const del = await call(`/tenants/${t.tenantId}/employees/${e.id}`, { token: admin, method: "DELETE" });
    assert.equal(del.status, 200);
    assert.ok(del.body.deleted_at);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "employee.soft_deleted", resourceId: e.id, outcome: "success" })).length, 1);
    assert.equal((await call(`/tenants/${t.tenantId}/employees/${e.id}`, { token: admin, method: "DELETE" })).status, 409);
    assert.equal((await call(`/tenants/${t.tenantId}/employees/${e.id}`, { token: hr })).status, 404);
    const { rows: [row] } = await sql<{ n: number }>`select count(*)::int as n from public.employees where id = ${e.id}::uuid and deleted_at is not null`.execute(f.db);
    assert.equal(row.n, 1, "the row is kept (soft delete)");
  } finally {
    await f.close();
  }
});

test("reveal: plaintext with a reason, audited with the field (never the value); 400/403/404", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 1);
    const e = t.employees[0];
    const hr = await userToken(t.users.hr_manager.id);
    const path = `/tenants/${t.tenantId}/employees/${e.id}/reveal`;
    const res = await call(path, { token: hr, body: { field: "bank_account", reason: "salary payment setup" } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.value, e.pii.bank_account);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const [ev] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.reveal", resourceId: e.id, outcome: "success" });
    assert.deepEqual(ev.details, { field: "bank_account", reason: "salary payment setup" });
    assert.equal(ev.actor_id, t.users.hr_manager.id);
    const { rows: all } = await sql<{ t: string }>`select e::text as t from audit.events e where tenant_id = ${t.tenantId}::uuid`.execute(f.db);
    assert.ok(all.every((r) => !r.t.includes(e.pii.bank_account)), "no plaintext anywhere in the audit trail");

    assert.equal((await call(path, { token: hr, body: { field: "bank_account" } })).status, 400, "reason is mandatory");
    assert.equal((await call(path, { token: hr, body: { field: "salary", reason: "curious about it" } })).status, 400);
    const emp = await call(path, { token: await userToken(t.users.employee.id), body: { field: "phone", reason: "just looking around" } });
    assert.equal(emp.status, 403);
    const [denied] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.reveal", actorId: t.users.employee.id, outcome: "denied" });
    assert.deepEqual(denied.details, { field: "phone", refused: "forbidden", reason: "missing_permission" });
    const missing = await call(`/tenants/${t.tenantId}/employees/${crypto.randomUUID()}/reveal`, { token: hr, body: { field: "phone", reason: "checking a record" } });
    assert.equal(missing.status, 404);
  } finally {
    await f.close();
  }
});

test("reveal is rate-limited per user across requests: 429 with Retry-After, audited", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 1);
    const e = t.employees[0];
    const hr = await userToken(t.users.hr_manager.id);
    const path = `/tenants/${t.tenantId}/employees/${e.id}/reveal`;
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 12; i++) {
      last = await call(path, { token: hr, body: { field: "phone", reason: "verifying contact details" } });
      statuses.push(last.status);
      if (last.status === 429) break;
    }
    assert.equal(statuses.at(-1), 429, statuses.join(","));
    assert.ok(statuses.slice(0, -1).every((s) => s === 200));
    assert.ok(Number(last!.headers.get("retry-after")) >= 1);
    assert.equal((last!.body as Err).error.code, "rate_limited");
    const limited = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.reveal", actorId: t.users.hr_manager.id, outcome: "denied" });
    assert.equal(limited[0].details.refused, "rate_limited");
    // another user is not affected
    const admin = await call(path, { token: await userToken(t.users.admin.id), body: { field: "phone", reason: "verifying contact details" } });
    assert.equal(admin.status, 200);
  } finally {
    await f.close();
  }
});

test("erase PII: ciphertexts and blind indexes cleared, audited; reveal then finds no value; 403 for HR; 404", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 1);
    const e = t.employees[0];
    const path = `/tenants/${t.tenantId}/employees/${e.id}/erase-pii`;
    assert.equal((await call(path, { token: await userToken(t.users.hr_manager.id), body: { reason: "right to erasure request" } })).status, 403);
    assert.equal((await call(path, { token: await userToken(t.users.admin.id), body: {} })).status, 400);
    const res = await call(path, { token: await userToken(t.users.admin.id), body: { reason: "right to erasure request" } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { rows: [row] } = await sql<Record<string, unknown>>`select kra_pin_ciphertext, kra_pin_blind_index, national_id_ciphertext,
      national_id_blind_index, phone_ciphertext, phone_blind_index, bank_account_ciphertext, bank_account_blind_index
      from public.employees where id = ${e.id}::uuid`.execute(f.db);
    assert.ok(Object.values(row).every((v) => v === null), "all cleared");
    const [ev] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.erased", resourceId: e.id });
    assert.equal(ev.outcome, "success");
    const reveal = await call(`/tenants/${t.tenantId}/employees/${e.id}/reveal`, { token: await userToken(t.users.admin.id), body: { field: "kra_pin", reason: "after erasure check" } });
    assert.equal(reveal.status, 404);
    assert.equal((await call(`/tenants/${t.tenantId}/employees/${crypto.randomUUID()}/erase-pii`, { token: await userToken(t.users.admin.id), body: { reason: "right to erasure request" } })).status, 404);
  } finally {
    await f.close();
  }
});

test("audit trail: filters and keyset pagination for owners; 403 for HR (audited); 400 on bad filters", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 1);
    const e = t.employees[0];
    const hr = await userToken(t.users.hr_manager.id);
    for (const field of ["kra_pin", "phone"]) {
      await call(`/tenants/${t.tenantId}/employees/${e.id}/reveal`, { token: hr, body: { field, reason: "audit trail test" } });
    }
    const owner = await userToken(t.users.owner.id);
    const base = `/tenants/${t.tenantId}/audit-events`;
    const p1 = await call(`${base}?action=pii.reveal&limit=1`, { token: owner });
    assert.equal(p1.status, 200, JSON.stringify(p1.body));
    assert.equal(p1.body.items.length, 1);
    assert.equal(p1.body.items[0].details.field, "phone", "newest first");
    const p2 = await call(`${base}?action=pii.reveal&limit=1&cursor=${p1.body.next_cursor}`, { token: owner });
    assert.equal(p2.body.items[0].details.field, "kra_pin");
    const byActor = await call(`${base}?actor_id=${t.users.hr_manager.id}&outcome=success&resource_type=employee`, { token: owner });
    assert.ok(byActor.body.items.length >= 2 && byActor.body.items.every((i: Any) => i.actor_id === t.users.hr_manager.id));
    const inserts = await call(`${base}?resource_type=employees&resource_id=${e.id}`, { token: owner });
    assert.equal(inserts.body.items[0].action, "row.insert");
    assert.equal(inserts.body.items[0].new_values.kra_pin_ciphertext, "[redacted]");
    assert.equal((await call(`${base}?actor_id=bob`, { token: owner })).status, 400);
    assert.equal((await call(`${base}?from=yesterday`, { token: owner })).status, 400);
    assert.equal((await call(base, { token: hr })).status, 403);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "audit.read", actorId: t.users.hr_manager.id, outcome: "denied" })).length, 1);
  } finally {
    await f.close();
  }
});

test("key rotation: owner starts (202, audited), follows to completion; data stays readable under the new key; 403/404; Idempotency-Key replays", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 3);
    const owner = await userToken(t.users.owner.id);
    const base = `/tenants/${t.tenantId}/key-rotations`;
    const before = await sql<{ v: number }>`select max(version) as v from private.tenant_data_keys where tenant_id = ${t.tenantId}::uuid`.execute(f.db);
    const key = crypto.randomUUID();
    const started = await call(base, { token: owner, method: "POST", headers: { "idempotency-key": key } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const jobId = started.body.job.id;
    assert.equal(started.body.job.target_version, before.rows[0].v + 1);
    const replay = await call(base, { token: owner, method: "POST", headers: { "idempotency-key": key } });
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.equal(replay.body.job.id, jobId);

    let job: Any;
    for (let i = 0; i < 100; i++) {
      job = (await call(`${base}/${jobId}`, { token: owner })).body;
      if (job.status !== "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(job.status, "completed", JSON.stringify(job));
    assert.equal(job.rows_done, 3);
    assert.equal(job.progress, 1);
    const { rows: versions } = await sql<{ v: number }>`select distinct get_byte(kra_pin_ciphertext, 4) as v from public.employees
      where tenant_id = ${t.tenantId}::uuid`.execute(f.db);
    assert.deepEqual(versions.map((r) => r.v), [job.target_version], "every row re-encrypted with the new key");
    const reveal = await call(`/tenants/${t.tenantId}/employees/${t.employees[0].id}/reveal`, { token: owner, body: { field: "national_id", reason: "post rotation check" } });
    assert.equal(reveal.body.value, t.employees[0].pii.national_id);

    const list = await call(base, { token: owner });
    assert.equal(list.body.items[0].id, jobId);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "keys.rotation_requested", actorId: t.users.owner.id, resourceId: jobId })).length, 1);
    const finished = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.data_key_rotation_finished", resourceId: jobId });
    assert.equal(finished[0].actor_id, t.users.owner.id);

    assert.equal((await call(`${base}/${crypto.randomUUID()}`, { token: owner })).status, 404);
    const hr = await call(base, { token: await userToken(t.users.hr_manager.id), method: "POST" });
    assert.equal(hr.status, 403);
    assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "keys.rotation_started", actorId: t.users.hr_manager.id, outcome: "denied" })).length, 1);
  } finally {
    await f.close();
  }
});

test("key rotation: a second start while one is running is a 409", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 0);
    // a live running job (as a runner elsewhere would hold it)
    await sql`insert into private.key_rotation_jobs (kind, tenant_id, target_version, started_by)
      values ('data_key_reencrypt', ${t.tenantId}::uuid, 7, 'test')`.execute(f.db);
    const res = await call(`/tenants/${t.tenantId}/key-rotations`, { token: await userToken(t.users.admin.id), method: "POST" });
    assert.equal(res.status, 409);
    assert.ok((res.body as Err).error.details.job_id);
  } finally {
    await f.close();
  }
});

test("every admin route answers 401 without a valid token, and the rejection is audited", async () => {
  const f = await fixtures();
  try {
    const t = crypto.randomUUID();
    const e = crypto.randomUUID();
    const ua = `admin-401-probe-${crypto.randomUUID()}`;
    const routes: [string, string][] = [
      ["POST", "/tenants"], ["GET", "/tenants"], ["GET", `/tenants/${t}/members`], ["POST", `/tenants/${t}/invitations`], ["GET", `/tenants/${t}/invitations`],
      ["DELETE", `/tenants/${t}/invitations/${e}`],
      ["PATCH", `/tenants/${t}/members/${e}`], ["DELETE", `/tenants/${t}/members/${e}`], ["GET", `/tenants/${t}/employees`],
      ["POST", `/tenants/${t}/employees/lookup`], ["GET", `/tenants/${t}/employees/${e}`], ["DELETE", `/tenants/${t}/employees/${e}`],
      ["POST", `/tenants/${t}/employees/${e}/reveal`], ["POST", `/tenants/${t}/employees/${e}/erase-pii`],
      ["GET", `/tenants/${t}/audit-events`], ["POST", `/tenants/${t}/key-rotations`], ["GET", `/tenants/${t}/key-rotations`],
      ["GET", `/tenants/${t}/key-rotations/${e}`],
    ];
    for (const [method, path] of routes) {
      const res = await call(path, { method, token: "not.a.jwt", headers: { "user-agent": ua }, body: method === "GET" || method === "DELETE" ? undefined : {} });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal((res.body as Err).error.code, "unauthorized");
    }
    const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from audit.events
      where action = 'auth.token_rejected' and user_agent = ${ua}`.execute(f.db);
    assert.equal(n.n, routes.length);
    void createUser; void addMember;
  } finally {
    await f.close();
  }
});

test("key rotation: a job whose runner crashed (stalled) is resumed by the next start and completes", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 3);
    const { KeyRotation } = await import("../../functions/_shared/crypto/rotation.ts");
    const crashed = await new KeyRotation(f.db, f.vault).rotateTenantDataKey(t.tenantId, {
      batchSize: 1,
      beforeWrite: () => Promise.reject(new Error("simulated crash before the first write")),
    }).then(() => null, (e: Error) => e.message);
    assert.match(crashed ?? "", /simulated crash/);
    const { rows: [job] } = await sql<{ id: string }>`select id from private.key_rotation_jobs
      where tenant_id = ${t.tenantId}::uuid and status = 'running'`.execute(f.db);
    // the runner is gone: its job has not moved for a minute (the touch trigger is skipped to backdate it)
    await f.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update private.key_rotation_jobs set updated_at = now() - interval '1 minute' where id = ${job.id}::uuid`.execute(trx);
    });
    const owner = await userToken(t.users.owner.id);
    const res = await call(`/tenants/${t.tenantId}/key-rotations`, { token: owner, method: "POST" });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.resumed, true);
    assert.equal(res.body.job.id, job.id);
    let status = "running";
    for (let i = 0; i < 100 && status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(`/tenants/${t.tenantId}/key-rotations/${job.id}`, { token: owner })).body.status;
    }
    assert.equal(status, "completed");
    for (const e of t.employees) {
      const r = await call(`/tenants/${t.tenantId}/employees/${e.id}/reveal`, { token: owner, body: { field: "phone", reason: "after resumed rotation" } });
      assert.equal(r.body.value, e.pii.phone, "nothing lost");
    }
  } finally {
    await f.close();
  }
});

test("a ciphertext swapped onto another employee does not decrypt there: lists flag it unavailable, reveal is a 422 without detail", async () => {
  const f = await fixtures();
  try {
    const t = await seedTenant(f.db, f.vault, 2);
    const [a, b] = t.employees;
    // same tenant, same column, valid ciphertext, wrong row: the AAD (row id) no longer matches
    await sql`update public.employees set kra_pin_ciphertext = (select kra_pin_ciphertext from public.employees where id = ${a.id}::uuid)
      where id = ${b.id}::uuid`.execute(f.db);
    const hr = await userToken(t.users.hr_manager.id);
    const one = await call(`/tenants/${t.tenantId}/employees/${b.id}`, { token: hr });
    assert.equal(one.status, 200);
    assert.equal(one.body.masked.kra_pin, null);
    assert.deepEqual(one.body.pii_unavailable, ["kra_pin"]);
    assert.equal(one.body.masked.phone, "+2547******" + b.pii.phone.slice(-2), "the other fields still mask");
    const reveal = await call(`/tenants/${t.tenantId}/employees/${b.id}/reveal`, { token: hr, body: { field: "kra_pin", reason: "tamper check" } });
    assert.equal(reveal.status, 422);
    assert.deepEqual(reveal.body.error.details, { field: "kra_pin" });
    assert.ok(!JSON.stringify(reveal.body).includes(a.pii.kra_pin) && !/integrity|aad|decrypt/i.test(reveal.body.error.message));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from audit.events where tenant_id = ${t.tenantId}::uuid
      and action = 'pii.reveal' and outcome = 'success' and resource_id = ${b.id}`.execute(f.db);
    assert.equal(rows[0].n, 0, "no successful reveal is recorded");
    const [failed] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.reveal", resourceId: b.id, outcome: "error" });
    assert.deepEqual(failed.details, { field: "kra_pin", refused: "unreadable" }, "the failed attempt is audited");
  } finally {
    await f.close();
  }
});
