// Attack 5, ciphertext at the database level: someone with write access to
// the tables (a leaked service key, a careless migration) moves or damages a
// protected value's ciphertext — copies another employee's, another column's,
// another tenant's or another table's; flips a bit in the header, IV, body or
// tag; truncates it; points it at another key version. The API must never
// return a plaintext (least of all another person's): a reveal answers with
// the integrity refusal and audits it, lists mark the field unavailable, and
// an HR approval of a tampered onboarding case creates no employee. Each
// case restores the original ciphertext afterwards and shows the reveal
// working again, so a passing run is not a broken reveal.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { userToken } from "../integration/_support/tokens.ts";
import { addMember, seedTenant } from "../../functions/admin/test-fixtures.ts";
import { submittedCase } from "../integration/onboarding-fixtures.ts";
import { attackTest, withFixtures } from "./_support/attack-test.ts";
import { auditOf, assertEnvelope, tagged } from "./_support/http.ts";

const bytes = (v: unknown) => new Uint8Array(v as Uint8Array);

function flip(ct: Uint8Array, at: number): Uint8Array {
  const out = ct.slice();
  out[at < 0 ? out.length + at : at] ^= 0x01;
  return out;
}

function withKeyVersion(ct: Uint8Array, version: number): Uint8Array {
  const out = ct.slice();
  new DataView(out.buffer).setUint32(1, version, false);
  return out;
}

attackTest("ciphertext: moved, flipped, truncated or re-versioned ciphertexts are never decrypted; reveals are refused and audited", withFixtures(async (f) => {
  const a = await seedTenant(f.db, f.vault, 2);
  const b = await seedTenant(f.db, f.vault, 1);
  const aCase = await submittedCase(f.db, a.tenantId);
  const [victim, neighbour] = a.employees;
  const owner = await userToken(a.users.owner.id);
  const load = async (table: string, id: string, column: string) => {
    const { rows: [r] } = await sql<{ c: Uint8Array }>`select ${sql.ref(column)} as c from ${sql.table(`public.${table}`)} where id = ${id}::uuid`.execute(f.db);
    return bytes(r.c);
  };
  const original = await load("employees", victim.id, "kra_pin_ciphertext");
  const { rows: [{ v: version }] } = await sql<{ v: number }>`select max(version)::int as v from private.tenant_data_keys where tenant_id = ${a.tenantId}::uuid`.execute(f.db);
  // Values the answer must never contain: everyone's plaintexts
  const plaintexts = [
    ...Object.values(victim.pii), ...Object.values(neighbour.pii), ...Object.values(b.employees[0].pii),
    aCase.details.kra_pin.toUpperCase(), aCase.details.national_id, aCase.details.bank_account,
  ];
  const cases: { name: string; value: () => Promise<Uint8Array> }[] = [
    { name: "another employee's KRA PIN (another row)", value: () => load("employees", neighbour.id, "kra_pin_ciphertext") },
    { name: "the same employee's national ID (another column)", value: () => load("employees", victim.id, "national_id_ciphertext") },
    { name: "the same employee's bank account (another column)", value: () => load("employees", victim.id, "bank_account_ciphertext") },
    { name: "tenant B's employee's KRA PIN (another tenant)", value: () => load("employees", b.employees[0].id, "kra_pin_ciphertext") },
    { name: "an onboarding case's KRA PIN (another table)", value: () => load("onboarding_cases", aCase.caseId, "kra_pin_ciphertext") },
    { name: "bit flipped in the format byte", value: async () => flip(original, 0) },
    { name: "bit flipped in the key version", value: async () => flip(original, 4) },
    { name: "bit flipped in the IV", value: async () => flip(original, 5) },
    { name: "bit flipped in the body", value: async () => flip(original, 17) },
    { name: "bit flipped in the tag", value: async () => flip(original, -1) },
    { name: "truncated by one byte", value: async () => original.slice(0, -1) },
    { name: "truncated to header, IV and tag length", value: async () => original.slice(0, 33) },
    { name: "key version changed to one that does not exist", value: async () => withKeyVersion(original, version + 7) },
    { name: "key version changed to 0", value: async () => withKeyVersion(original, 0) },
    { name: "key version changed to the maximum", value: async () => withKeyVersion(original, 0xffffffff) },
  ];
  // reveals are rate-limited per user: each case gets its own admin
  let revealer = owner;
  const reveal = () => tagged<{ value?: string }>("admin", `/tenants/${a.tenantId}/employees/${victim.id}/reveal`, {
    token: revealer, body: { field: "kra_pin", reason: "integrity probe" },
  });
  let refusedByDb = 0;
  for (const c of cases) {
    const forged = await c.value();
    revealer = await userToken((await addMember(f.db, a.tenantId, "admin", "revealer")).id);
    try {
      await sql`update public.employees set kra_pin_ciphertext = ${forged} where id = ${victim.id}::uuid`.execute(f.db);
    } catch (err) {
      // Postgres' own format CHECK refused it: also a pass, nothing stored
      assert.equal((err as { code?: string }).code, "23514", `${c.name}: only the format check may refuse it`);
      refusedByDb++;
      continue;
    }
    try {
      const res = await reveal();
      const text = JSON.stringify(res.body);
      assert.deepEqual(plaintexts.filter((p) => text.includes(p)), [], `${c.name}: no plaintext in the answer`);
      assert.equal(res.status, 422, `${c.name}: ${res.status} ${text}`);
      assertEnvelope(res, c.name);
      assert.equal(res.body.error.code, "business_rule", c.name);
      const rows = await auditOf(f.db, res.requestId);
      assert.ok(
        rows.some((r) => r.action === "pii.reveal" && r.outcome === "error" && r.tenant_id === a.tenantId),
        `${c.name}: the failed reveal is audited: ${JSON.stringify(rows)}`,
      );
      const view = await tagged<{ masked: Record<string, string | null>; pii_unavailable: string[] }>(
        "admin", `/tenants/${a.tenantId}/employees/${victim.id}`, { token: owner },
      );
      assert.equal(view.status, 200, c.name);
      assert.deepEqual(view.body.pii_unavailable, ["kra_pin"], `${c.name}: the list view marks it unavailable`);
      assert.equal(view.body.masked.kra_pin, null, c.name);
      const vtext = JSON.stringify(view.body);
      assert.deepEqual(plaintexts.filter((p) => vtext.includes(p)), [], `${c.name}: no plaintext in the view`);
    } finally {
      await sql`update public.employees set kra_pin_ciphertext = ${original} where id = ${victim.id}::uuid`.execute(f.db);
    }
    const back = await reveal();
    assert.equal(back.status, 200, `${c.name}: restored, the reveal works again`);
    assert.equal(back.body.value, victim.pii.kra_pin);
  }
  console.log(`ciphertext tampering: ${cases.length} cases (${refusedByDb} refused by the database's format check)`);
}));

attackTest("ciphertext: a tampered onboarding case is never revealed to its subject, is refused (as the admin reveal refuses) and audited, and HR approval is refused (422, audited) and creates no employee", withFixtures(async (f) => {
  const a = await seedTenant(f.db, f.vault, 1);
  const mine = await submittedCase(f.db, a.tenantId);
  const other = await submittedCase(f.db, a.tenantId);
  const { rows: [o] } = await sql<{ c: Uint8Array }>`select kra_pin_ciphertext as c from public.onboarding_cases where id = ${other.caseId}::uuid`.execute(f.db);
  // another person's ciphertext in my case, and in an employee's record
  await sql`update public.onboarding_cases set kra_pin_ciphertext = ${bytes(o.c)} where id = ${mine.caseId}::uuid`.execute(f.db);
  await sql`update public.employees set kra_pin_ciphertext = ${bytes(o.c)} where id = ${a.employees[0].id}::uuid`.execute(f.db);
  const theirs = [other.details.kra_pin.toUpperCase(), other.details.national_id, other.details.bank_account];

  const byAdmin = await tagged("admin", `/tenants/${a.tenantId}/employees/${a.employees[0].id}/reveal`, {
    token: await userToken(a.users.owner.id), body: { field: "kra_pin", reason: "integrity probe" },
  });
  assertEnvelope(byAdmin, "admin reveal");
  assert.equal(byAdmin.status, 422, JSON.stringify(byAdmin.body));
  const res = await tagged("onboarding", `/me/cases/${mine.caseId}/reveal`, { token: mine.user.token, body: { fields: ["kra_pin"] } });
  const text = JSON.stringify(res.body);
  assert.deepEqual(theirs.filter((p) => text.includes(p)), [], "never the other person's value");
  assert.notEqual(res.status, 200, text);
  assertEnvelope(res, "subject reveal");
  assert.equal(res.status, byAdmin.status, `the subject's reveal answers as the admin reveal: ${res.status} ${text}`);
  assert.equal(res.body.error.code, byAdmin.body.error.code, "…with the same error code");
  const rows = await auditOf(f.db, res.requestId);
  assert.ok(
    rows.some((r) => r.action === "onboarding_case.pii_revealed" && r.tenant_id === a.tenantId && r.outcome === "error"),
    `the failed reveal is audited: ${JSON.stringify(rows)}`,
  );

  const view = await tagged<{ pii: Record<string, string | null> }>("onboarding", `/me/cases/${mine.caseId}`, { token: mine.user.token });
  assert.equal(view.status, 200);
  assert.equal(view.body.pii.kra_pin, "[unavailable]", "the case view marks it unavailable");

  const hr = await userToken(a.users.hr_manager.id);
  const { rows: [{ n: employeesBefore }] } = await sql<{ n: number }>`select count(*)::int as n from public.employees where tenant_id = ${a.tenantId}::uuid`.execute(f.db);
  const approve = await tagged("onboarding", `/cases/${mine.caseId}/approve`, {
    token: hr, body: { reason: "All documents checked", employee_number: `E-${crypto.randomUUID().slice(0, 6)}` },
  });
  const atext = JSON.stringify(approve.body);
  // refused for the ciphertext, not for the body (a 400 would mean the attack never reached decryption)
  assert.equal(approve.status, 422, `approval of a tampered case is refused as a business rule: ${atext}`);
  assertEnvelope(approve, "approval");
  assert.deepEqual(approve.body.error.details, { field: "kra_pin" }, "naming the field, nothing more");
  const approvalAudit = await auditOf(f.db, approve.requestId);
  assert.ok(
    approvalAudit.some((r) => r.action === "onboarding_case.approved" && r.outcome === "error" && (r.details as { field?: string } | null)?.field === "kra_pin"),
    `the refused approval is audited: ${JSON.stringify(approvalAudit)}`,
  );
  assert.deepEqual(theirs.filter((p) => atext.includes(p)), []);
  const { rows: [after] } = await sql<{ n: number; status: string }>`select
      (select count(*)::int from public.employees where tenant_id = ${a.tenantId}::uuid) as n,
      (select status from public.onboarding_cases where id = ${mine.caseId}::uuid) as status`.execute(f.db);
  assert.equal(after.n, employeesBefore, "no employee record was created");
  assert.equal(after.status, "submitted", "the case is still submitted");
}));
