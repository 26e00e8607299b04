// HR review: list by status (masked, keyset pagination), read one, approve
// (creates or updates the employee), reject; permissions decided by the
// database and refusals audited.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { requireEnv } from "./_support/env.ts";
import { withTestDb } from "./_support/db.ts";
import {
  addMember,
  auditByRequest,
  type CaseBody,
  createTenant,
  createUser,
  type ErrorBody,
  newHire,
  onboarding,
  rid,
  submittedCase,
  testVault,
} from "./onboarding-fixtures.ts";

const ready = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS");

interface Page {
  items: CaseBody[];
  next_cursor: string | null;
}

Deno.test({
  name: "HR lists cases by status with masked PII, page by page (keyset cursor); others get 403 (audited)",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "hr_manager");
      const subs = [];
      for (let i = 0; i < 3; i++) subs.push(await submittedCase(db, tenant));
      const draft = await newHire(db, tenant);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `?tenant_id=${tenant}&status=submitted&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const res = await onboarding<Page>(`/cases${q}`, { token: hr.token });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        for (const c of res.body.items) {
          assert.equal(c.status, "submitted");
          assert.match(c.pii.kra_pin ?? "", /^[AP]\d\d\*{6}\d[A-Z]$/);
          assert.match(c.pii.bank_account ?? "", /^\*{4}\d{4}$/);
          seen.push(c.id);
        }
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 5);
      assert.equal(pages, 2);
      assert.deepEqual(seen, subs.map((s) => s.caseId), "every submitted case once, oldest first");
      const text = JSON.stringify(seen);
      assert.ok(!text.includes(subs[0].details.kra_pin.toUpperCase()));

      const all = await onboarding<Page>(`/cases?tenant_id=${tenant}`, { token: hr.token });
      assert.equal(all.body.items.length, 4);
      const drafts = await onboarding<Page>(`/cases?tenant_id=${tenant}&status=draft`, { token: hr.token });
      assert.deepEqual(drafts.body.items.map((c) => c.id), [draft.caseId]);

      for (
        const q of [
          "",
          "?tenant_id=nope",
          `?tenant_id=${tenant}&status=done`,
          `?tenant_id=${tenant}&limit=101`,
          `?tenant_id=${tenant}&cursor=garbage`,
        ]
      ) {
        const r = await onboarding<ErrorBody>(`/cases${q}`, { token: hr.token });
        assert.equal(r.status, 400, q);
        assert.equal(r.body.error.code, "invalid_input");
      }

      // an employee of the tenant may not list: 403, audited with who/where
      const requestId = rid("list-denied");
      const denied = await onboarding<ErrorBody>(`/cases?tenant_id=${tenant}`, {
        token: draft.user.token,
        headers: { "x-request-id": requestId, "x-forwarded-for": "203.0.113.7" },
      });
      assert.equal(denied.status, 403);
      const [ev] = (await auditByRequest(db, requestId)).filter((e) => e.action === "onboarding.access_denied");
      assert.ok(ev);
      assert.equal(ev.outcome, "denied");
      assert.equal(ev.actor_id, draft.user.id);
      assert.equal(ev.tenant_id, tenant);
      assert.equal(ev.ip_address, "203.0.113.7");
      assert.deepEqual(ev.details, { operation: "list", permission: "onboarding.read" });
    }),
});

Deno.test({
  name:
    "approve: creates the employee with re-encrypted PII and blind indexes, clears the case copy, keeps history, audits",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "hr_manager");
      const hire = await submittedCase(db, tenant);

      const got = await onboarding<CaseBody>(`/cases/${hire.caseId}`, { token: hr.token });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body.history?.map((h) => h.to_status), ["draft", "submitted"]);

      const noReason = await onboarding<ErrorBody>(`/cases/${hire.caseId}/approve`, { token: hr.token, body: {} });
      assert.equal(noReason.status, 400);
      const blank = await onboarding<ErrorBody>(`/cases/${hire.caseId}/approve`, {
        token: hr.token,
        body: { reason: "  " },
      });
      assert.equal(blank.status, 400);

      const requestId = rid("approve");
      const res = await onboarding<
        { case: CaseBody; employee: { id: string; created: boolean; employee_number: string } }
      >(
        `/cases/${hire.caseId}/approve`,
        {
          token: hr.token,
          body: { reason: "Documents verified", job_title: "Accountant", employment_start_date: "2026-12-01" },
          headers: { "x-request-id": requestId },
        },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.case.status, "approved");
      assert.equal(res.body.case.decision_reason, "Documents verified");
      assert.equal(res.body.case.employee_id, res.body.employee.id);
      assert.deepEqual(res.body.case.pii, { kra_pin: null, national_id: null, phone: null, bank_account: null });
      assert.deepEqual(
        res.body.case.history?.map((h) => [h.to_status, h.reason]),
        [["draft", null], ["submitted", null], ["approved", "Documents verified"]],
      );
      assert.equal(res.body.employee.created, true);
      assert.match(res.body.employee.employee_number, /^ONB-[0-9A-F]{8}$/);

      const { rows: [emp] } = await sql<Record<string, unknown>>`select *, date_of_birth::text as dob
        from public.employees where id = ${res.body.employee.id}`.execute(db);
      assert.equal(emp.tenant_id, tenant);
      assert.equal(emp.user_id, hire.user.id);
      assert.equal(emp.first_name, "Wanjiku");
      assert.equal(emp.dob, "1994-05-17");
      assert.equal(emp.job_title, "Accountant");
      assert.equal(emp.bank_code, "01");
      const vault = testVault(db);
      const kra = hire.details.kra_pin.toUpperCase();
      assert.equal(
        await vault.decryptField({
          tenantId: tenant,
          table: "employees",
          field: "kra_pin",
          rowId: res.body.employee.id,
          ciphertext: emp.kra_pin_ciphertext as Uint8Array,
        }),
        kra,
      );
      assert.deepEqual(
        new Uint8Array(emp.national_id_blind_index as Uint8Array),
        await vault.blindIndex({ tenantId: tenant, field: "national_id", value: hire.details.national_id }),
      );
      assert.equal(
        await vault.decryptField({
          tenantId: tenant,
          table: "employees",
          field: "phone",
          rowId: res.body.employee.id,
          ciphertext: emp.phone_ciphertext as Uint8Array,
        }),
        "+254712345678",
      );
      const { rows: [cs] } = await sql<{ n: number }>`select num_nonnulls(kra_pin_ciphertext, national_id_ciphertext,
        phone_ciphertext, bank_account_ciphertext) as n from public.onboarding_cases where id = ${hire.caseId}`.execute(
        db,
      );
      assert.equal(cs.n, 0, "the case no longer holds protected values");

      const events = await auditByRequest(db, requestId);
      const approved = events.find((e) => e.action === "onboarding_case.approved");
      assert.ok(approved);
      assert.equal(approved.actor_id, hr.id);
      assert.deepEqual(approved.details, { employee_id: res.body.employee.id, employee_created: true });
      assert.ok(!JSON.stringify(events).includes(kra), "no plaintext in any audit row of the request");

      const again = await onboarding<ErrorBody>(`/cases/${hire.caseId}/approve`, {
        token: hr.token,
        body: { reason: "x" },
      });
      assert.equal(again.status, 409);
      const rejectApproved = await onboarding<ErrorBody>(`/cases/${hire.caseId}/reject`, {
        token: hr.token,
        body: { reason: "x" },
      });
      assert.equal(rejectApproved.status, 409);
      const missing = await onboarding<ErrorBody>(`/cases/${crypto.randomUUID()}/approve`, {
        token: hr.token,
        body: { reason: "x" },
      });
      assert.equal(missing.status, 404);
    }),
});

Deno.test({
  name: "approve updates the subject's existing employee record, and refuses a duplicate KRA PIN / national ID (409)",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "hr_manager");
      const first = await submittedCase(db, tenant);
      const ok = await onboarding<{ employee: { id: string } }>(`/cases/${first.caseId}/approve`, {
        token: hr.token,
        body: { reason: "ok" },
      });
      assert.equal(ok.status, 200);

      // same KRA PIN (other spelling) in another case of the tenant
      const dup = await submittedCase(db, tenant, { kra_pin: first.details.kra_pin.toUpperCase() });
      const res = await onboarding<ErrorBody>(`/cases/${dup.caseId}/approve`, {
        token: hr.token,
        body: { reason: "ok" },
      });
      assert.equal(res.status, 409);
      assert.deepEqual((res.body.error.details as { fields: string[] }).fields, ["kra_pin"]);
      assert.ok(!JSON.stringify(res.body).includes(first.details.kra_pin.toUpperCase()));
      const { rows: [c] } = await sql<{ status: string }>`select status from public.onboarding_cases
        where id = ${dup.caseId}`.execute(db);
      assert.equal(c.status, "submitted", "nothing changed");

      // a second tenant may hold the same KRA PIN
      const other = await createTenant(db);
      const otherHr = await addMember(db, other, "admin");
      const elsewhere = await submittedCase(db, other, { kra_pin: first.details.kra_pin });
      const okElsewhere = await onboarding(`/cases/${elsewhere.caseId}/approve`, {
        token: otherHr.token,
        body: { reason: "ok" },
      });
      assert.equal(okElsewhere.status, 200);

      // an existing employee (linked to the user) is updated, not duplicated
      const existing = await newHire(db, tenant);
      const { rows: [e] } = await sql<{ id: string }>`insert into public.employees
        (tenant_id, user_id, employee_number, first_name, last_name)
        values (${tenant}, ${existing.user.id}, ${"E-" + crypto.randomUUID().slice(0, 8)}, 'Old', 'Name') returning id`
        .execute(db);
      const token = existing.user.token;
      await onboarding(`/me/cases/${existing.caseId}/details`, {
        method: "PUT",
        token,
        body: {
          first_name: "New",
          last_name: "Name",
          date_of_birth: "1990-01-01",
          kra_pin: "P987654321Z",
          national_id: String(20000000 + Math.floor(Math.random() * 70000000)),
          phone: "+254722000111",
          bank_code: "11",
          branch_code: "001",
          bank_account: String(Date.now()),
        },
      });
      assert.equal((await onboarding(`/me/cases/${existing.caseId}/submit`, { method: "POST", token })).status, 200);
      const upd = await onboarding<{ employee: { id: string; created: boolean } }>(
        `/cases/${existing.caseId}/approve`,
        {
          token: hr.token,
          body: { reason: "ok" },
        },
      );
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.deepEqual(upd.body.employee, { ...upd.body.employee, id: e.id, created: false });
      const { rows: [after] } = await sql<{ first_name: string; n: number }>`select first_name,
        (select count(*)::int from public.employees where user_id = ${existing.user.id}) as n
        from public.employees where id = ${e.id}`.execute(db);
      assert.deepEqual(after, { first_name: "New", n: 1 });
    }),
});

Deno.test({
  name: "reject with a reason; employees and the subject themself are refused (403, audited); drafts are 409",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "hr_manager");
      const hire = await submittedCase(db, tenant);
      const employee = await addMember(db, tenant, "employee");

      // an HR manager onboarding themself cannot decide their own case
      const selfHr = await newHire(db, tenant, "hr_manager");
      await onboarding(`/me/cases/${selfHr.caseId}/details`, {
        method: "PUT",
        token: selfHr.user.token,
        body: {
          first_name: "Self",
          last_name: "Approver",
          date_of_birth: "1985-03-03",
          kra_pin: "A000000001Q",
          national_id: String(30000000 + Math.floor(Math.random() * 60000000)),
          phone: "0733000111",
          bank_code: "03",
          branch_code: "002",
          bank_account: String(Date.now()),
        },
      });
      assert.equal(
        (await onboarding(`/me/cases/${selfHr.caseId}/submit`, { method: "POST", token: selfHr.user.token })).status,
        200,
      );
      for (const op of ["approve", "reject"]) {
        const requestId = rid(`self-${op}`);
        const r = await onboarding<ErrorBody>(`/cases/${selfHr.caseId}/${op}`, {
          token: selfHr.user.token,
          body: { reason: "looks good to me" },
          headers: { "x-request-id": requestId },
        });
        assert.equal(r.status, 403, op);
        const [ev] = (await auditByRequest(db, requestId)).filter((e) => e.action === "onboarding.access_denied");
        assert.deepEqual(ev?.details, { operation: op, permission: "onboarding.review", reason: "own_case" });
      }
      // the hire themself (employee role) cannot decide either
      const own = await onboarding<ErrorBody>(`/cases/${hire.caseId}/approve`, {
        token: hire.user.token,
        body: { reason: "me" },
      });
      assert.equal(own.status, 403);
      // another employee cannot even see the case
      const other = await onboarding<ErrorBody>(`/cases/${hire.caseId}/reject`, {
        token: employee.token,
        body: { reason: "x" },
      });
      assert.equal(other.status, 404);
      const otherGet = await onboarding<ErrorBody>(`/cases/${hire.caseId}`, { token: employee.token });
      assert.equal(otherGet.status, 404);

      const noReason = await onboarding<ErrorBody>(`/cases/${hire.caseId}/reject`, { token: hr.token, body: {} });
      assert.equal(noReason.status, 400);
      const requestId = rid("reject");
      const res = await onboarding<CaseBody>(`/cases/${hire.caseId}/reject`, {
        token: hr.token,
        body: { reason: "KRA PIN does not match the certificate" },
        headers: { "x-request-id": requestId },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, "rejected");
      assert.equal(res.body.decision_reason, "KRA PIN does not match the certificate");
      assert.deepEqual(res.body.history?.at(-1), {
        ...res.body.history?.at(-1),
        from_status: "submitted",
        to_status: "rejected",
        reason: "KRA PIN does not match the certificate",
      });
      assert.ok((await auditByRequest(db, requestId)).some((e) => e.action === "onboarding_case.rejected"));

      const draft = await newHire(db, tenant);
      const early = await onboarding<ErrorBody>(`/cases/${draft.caseId}/reject`, {
        token: hr.token,
        body: { reason: "x" },
      });
      assert.equal(early.status, 409);
      const earlyApprove = await onboarding<ErrorBody>(`/cases/${draft.caseId}/approve`, {
        token: hr.token,
        body: { reason: "x" },
      });
      assert.equal(earlyApprove.status, 409);
    }),
});

Deno.test({
  name: "return for changes: back to draft with a reason the new hire sees; they fix and resubmit; history kept",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "admin");
      const hire = await submittedCase(db, tenant);

      const own = await onboarding<ErrorBody>(`/cases/${hire.caseId}/return`, {
        token: hire.user.token,
        body: { reason: "let me edit" },
      });
      assert.equal(own.status, 403, "the new hire cannot return their own case");
      assert.equal((await onboarding(`/cases/${hire.caseId}/return`, { token: hr.token, body: {} })).status, 400);

      const requestId = rid("return");
      const res = await onboarding<CaseBody>(`/cases/${hire.caseId}/return`, {
        token: hr.token,
        body: { reason: "Bank branch code is wrong" },
        headers: { "x-request-id": requestId },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, "draft");
      assert.ok(res.body.pii.kra_pin, "protected values are kept for the new hire to fix");
      assert.ok((await auditByRequest(db, requestId)).some((e) => e.action === "onboarding_case.returned"));
      assert.equal(
        (await onboarding(`/cases/${hire.caseId}/return`, { token: hr.token, body: { reason: "x" } })).status,
        409,
      );

      const mine = await onboarding<CaseBody>(`/me/cases/${hire.caseId}`, { token: hire.user.token });
      assert.equal(mine.body.decision_reason, "Bank branch code is wrong");
      const fix = await onboarding(`/me/cases/${hire.caseId}/details`, {
        method: "PUT",
        token: hire.user.token,
        body: { branch_code: "095" },
      });
      assert.equal(fix.status, 200);
      const resub = await onboarding<CaseBody>(`/me/cases/${hire.caseId}/submit`, {
        method: "POST",
        token: hire.user.token,
      });
      assert.equal(resub.status, 200);
      assert.deepEqual(resub.body.history?.map((h) => h.to_status), ["draft", "submitted", "draft", "submitted"]);
    }),
});

Deno.test({
  name: "approve honours Idempotency-Key: a retried approval replays the result and creates one employee",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hr = await addMember(db, tenant, "hr_manager");
      const hire = await submittedCase(db, tenant);
      const headers = { "idempotency-key": `approve-${crypto.randomUUID()}` };
      const first = await onboarding<{ employee: { id: string } }>(`/cases/${hire.caseId}/approve`, {
        token: hr.token,
        body: { reason: "ok" },
        headers,
      });
      assert.equal(first.status, 200);
      const retry = await onboarding<{ employee: { id: string } }>(`/cases/${hire.caseId}/approve`, {
        token: hr.token,
        body: { reason: "ok" },
        headers,
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(retry.body, first.body);
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.employees
        where user_id = ${hire.user.id}`.execute(db);
      assert.equal(n.n, 1);
    }),
});

Deno.test({
  name: "platform support reads a case (masked) only under an approved, unexpired grant, and each use is audited",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const hire = await submittedCase(db, tenant);
      const agent = await createUser(db);
      await sql`insert into public.platform_staff (user_id, role) values (${agent.id}, 'platform_support')`.execute(db);

      const before = await onboarding<ErrorBody>(`/cases/${hire.caseId}`, { token: agent.token });
      assert.equal(before.status, 404, "no grant, no access");

      await sql`insert into public.support_access_grants
        (tenant_id, support_user_id, reason, status, decided_at, expires_at)
        values (${tenant}, ${agent.id}, 'Ticket 42: onboarding stuck', 'approved', now(), now() + interval '1 hour')`
        .execute(db);
      const requestId = rid("support-read");
      const res = await onboarding<CaseBody>(`/cases/${hire.caseId}`, {
        token: agent.token,
        headers: { "x-request-id": requestId },
      });
      assert.equal(res.status, 200);
      assert.match(res.body.pii.kra_pin ?? "", /\*{6}/, "masked");
      const [ev] = (await auditByRequest(db, requestId)).filter((e) => e.action === "support_grant.used");
      assert.ok(ev);
      assert.equal(ev.actor_id, agent.id);
      assert.equal(ev.tenant_id, tenant);
      assert.equal(ev.resource_id, hire.caseId);
      const approve = await onboarding<ErrorBody>(`/cases/${hire.caseId}/approve`, {
        token: agent.token,
        body: { reason: "support cannot decide" },
      });
      assert.equal(approve.status, 403);
      const reveal = await onboarding<ErrorBody>(`/me/cases/${hire.caseId}/reveal`, {
        method: "POST",
        token: agent.token,
      });
      assert.equal(reveal.status, 404, "never plaintext for support");
    }),
});
