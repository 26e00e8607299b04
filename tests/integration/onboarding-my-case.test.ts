// The new hire's routes: read my case, save details (field-level errors,
// encryption bound to the case row), submit, reveal my own PII (audited).
import assert from "node:assert/strict";
import { sql } from "kysely";
import { requireEnv } from "./_support/env.ts";
import { withTestDb } from "./_support/db.ts";
import {
  addMember,
  auditByRequest,
  type CaseBody,
  createTenant,
  details,
  type ErrorBody,
  newHire,
  onboarding,
  rid,
  submittedCase,
  testVault,
} from "./onboarding-fixtures.ts";

const ready = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS");

Deno.test({
  name: "save details: 200 with masked PII; the row holds only ciphertext bound to the case row",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const { user, caseId } = await newHire(db, tenant);
      const body = details();
      const res = await onboarding<CaseBody>(`/me/cases/${caseId}/details`, { method: "PUT", token: user.token, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.first_name, "Wanjiku");
      assert.equal(res.body.date_of_birth, "1994-05-17");
      assert.equal(res.body.pii.phone, "+2547******78");
      const kra = body.kra_pin.toUpperCase();
      assert.equal(res.body.pii.kra_pin, `${kra.slice(0, 3)}******${kra.slice(-2)}`);
      assert.equal(res.body.pii.national_id, "****" + body.national_id.slice(-4));
      const text = JSON.stringify(res.body);
      for (
        const v of [body.kra_pin.toUpperCase(), body.national_id, "+254712345678", body.bank_account.replace("-", "")]
      ) {
        assert.ok(!text.includes(v), "no plaintext in the response");
      }

      const { rows: [row] } = await sql<
        Record<string, Uint8Array | string | null>
      >`select * from public.onboarding_cases
        where id = ${caseId}`.execute(db);
      const rowText = JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
      for (const v of [body.kra_pin.toUpperCase(), body.national_id, "712345678", body.bank_account.replace("-", "")]) {
        assert.ok(!rowText.includes(v), "no plaintext in the database row");
      }
      const vault = testVault(db);
      const ct = row.kra_pin_ciphertext as Uint8Array;
      assert.equal(ct[0], 1, "ciphertext format byte");
      assert.equal(
        await vault.decryptField({
          tenantId: tenant,
          table: "onboarding_cases",
          field: "kra_pin",
          rowId: caseId,
          ciphertext: ct,
        }),
        body.kra_pin.toUpperCase(),
      );
      await assert.rejects(
        vault.decryptField({ tenantId: tenant, table: "employees", field: "kra_pin", rowId: caseId, ciphertext: ct }),
        "bound to its table",
      );

      // partial update: one field changes, null clears, the rest stays
      const again = await onboarding<CaseBody>(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: { last_name: "Otieno", other_names: null },
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.last_name, "Otieno");
      assert.equal(again.body.other_names, null);
      assert.equal(again.body.first_name, "Wanjiku");
      assert.equal(again.body.pii.phone, "+2547******78");
    }),
});

Deno.test({
  name: "save details: every invalid field reported on its own path (400), nothing written, no value echoed",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const { user, caseId } = await newHire(db, tenant);
      const bad = {
        first_name: "",
        date_of_birth: "2020-02-30",
        kra_pin: "B12345",
        national_id: "12ab",
        phone: "0201234567999",
        bank_code: "x1",
        branch_code: "12",
        bank_account: "123",
      };
      const res = await onboarding<ErrorBody>(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: bad,
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "invalid_input");
      const fields = (res.body.error.details as { fields: Record<string, string> }).fields;
      assert.deepEqual(Object.keys(fields).sort(), Object.keys(bad).sort());
      for (const v of ["B12345", "12ab", "0201234567999"]) assert.ok(!JSON.stringify(res.body).includes(v));

      const young = await onboarding<ErrorBody>(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: { date_of_birth: new Date().toISOString().slice(0, 10) },
      });
      assert.equal(young.status, 400);
      for (const body of [{}, { kra_pin_ciphertext: "\\x01" }, { first_name: 7 }]) {
        const r = await onboarding<ErrorBody>(`/me/cases/${caseId}/details`, {
          method: "PUT",
          token: user.token,
          body,
        });
        assert.equal(r.status, 400, JSON.stringify(body));
      }
      const notJson = await onboarding<ErrorBody>(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: "{not json",
      });
      assert.equal(notJson.status, 400);
      const badId = await onboarding<ErrorBody>(`/me/cases/not-a-uuid/details`, {
        method: "PUT",
        token: user.token,
        body: { first_name: "A" },
      });
      assert.equal(badId.status, 400);

      const { rows: [row] } = await sql<{ first_name: string | null; kra: boolean }>`select first_name,
        kra_pin_ciphertext is not null as kra from public.onboarding_cases where id = ${caseId}`.execute(db);
      assert.deepEqual(row, { first_name: null, kra: false }, "nothing was written");
    }),
});

Deno.test({
  name: "read, submit and reveal my case: 200 paths, 404 for another user's case, 409/422 for the wrong state",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const { user, caseId } = await newHire(db, tenant);
      const colleague = await newHire(db, tenant);
      const hr = await addMember(db, tenant, "hr_manager");

      const mine = await onboarding<{ items: CaseBody[] }>("/me/cases", { token: user.token });
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.body.items.map((c) => c.id), [caseId]);
      const one = await onboarding<CaseBody>(`/me/cases/${caseId}`, { token: user.token });
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.history?.map((h) => h.to_status), ["draft"]);

      // another user's case (same tenant, even HR) is not "mine": 404 on every /me route
      for (const [who, token] of [["colleague", colleague.user.token], ["hr", hr.token]]) {
        for (
          const [method, path, body] of [
            ["GET", `/me/cases/${caseId}`, undefined],
            ["PUT", `/me/cases/${caseId}/details`, { first_name: "Mallory" }],
            ["POST", `/me/cases/${caseId}/submit`, undefined],
            ["POST", `/me/cases/${caseId}/reveal`, {}],
          ] as const
        ) {
          const r = await onboarding<ErrorBody>(path, { method, token, body });
          assert.equal(r.status, 404, `${who} ${method} ${path}`);
        }
      }
      const missing = await onboarding<ErrorBody>(`/me/cases/${crypto.randomUUID()}`, { token: user.token });
      assert.equal(missing.status, 404);

      // submit with missing fields: 422 listing them
      await onboarding(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: { first_name: "Amina" },
      });
      const early = await onboarding<ErrorBody>(`/me/cases/${caseId}/submit`, { method: "POST", token: user.token });
      assert.equal(early.status, 422);
      const missingFields = Object.keys((early.body.error.details as { fields: object }).fields).sort();
      assert.deepEqual(missingFields, [
        "bank_account",
        "bank_code",
        "branch_code",
        "date_of_birth",
        "kra_pin",
        "last_name",
        "national_id",
        "phone",
      ]);

      const body = details();
      assert.equal(
        (await onboarding(`/me/cases/${caseId}/details`, { method: "PUT", token: user.token, body })).status,
        200,
      );
      const sub = await onboarding<CaseBody>(`/me/cases/${caseId}/submit`, { method: "POST", token: user.token });
      assert.equal(sub.status, 200);
      assert.equal(sub.body.status, "submitted");
      assert.deepEqual(sub.body.history?.map((h) => h.to_status), ["draft", "submitted"]);
      const twice = await onboarding<ErrorBody>(`/me/cases/${caseId}/submit`, { method: "POST", token: user.token });
      assert.equal(twice.status, 409);
      const edit = await onboarding<ErrorBody>(`/me/cases/${caseId}/details`, {
        method: "PUT",
        token: user.token,
        body: { first_name: "Late" },
      });
      assert.equal(edit.status, 409, "a submitted case is not editable");

      // reveal my own PII: plaintext (normalised), audited as a reveal by the data subject
      const requestId = rid("reveal");
      const rev = await onboarding<{ case_id: string; values: Record<string, string | null> }>(
        `/me/cases/${caseId}/reveal`,
        {
          method: "POST",
          token: user.token,
          body: { fields: ["kra_pin", "phone"] },
          headers: { "x-request-id": requestId },
        },
      );
      assert.equal(rev.status, 200, JSON.stringify(rev.body));
      assert.equal(rev.headers.get("cache-control"), "no-store");
      assert.deepEqual(rev.body.values, { kra_pin: body.kra_pin.toUpperCase(), phone: "+254712345678" });
      const events = await auditByRequest(db, requestId);
      const ev = events.find((e) => e.action === "onboarding_case.pii_revealed");
      assert.ok(ev, JSON.stringify(events));
      assert.equal(ev.outcome, "success");
      assert.equal(ev.actor_id, user.id);
      assert.equal(ev.tenant_id, tenant);
      assert.equal(ev.resource_id, caseId);
      assert.deepEqual(ev.details, { fields: ["kra_pin", "phone"], revealed_to: "data_subject" });
      assert.ok(!JSON.stringify(events).includes(body.kra_pin.toUpperCase()), "no plaintext in the audit trail");

      const all = await onboarding<{ values: Record<string, string | null> }>(`/me/cases/${caseId}/reveal`, {
        method: "POST",
        token: user.token,
      });
      assert.equal(all.status, 200);
      assert.deepEqual(Object.keys(all.body.values).sort(), ["bank_account", "kra_pin", "national_id", "phone"]);
      const badField = await onboarding<ErrorBody>(`/me/cases/${caseId}/reveal`, {
        method: "POST",
        token: user.token,
        body: { fields: ["salary"] },
      });
      assert.equal(badField.status, 400);
    }),
});

Deno.test({
  name: "a ciphertext copied onto another case does not decrypt there: reveal is a 422 without detail (as the admin reveal), lists mask it",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const a = await submittedCase(db, tenant);
      const b = await newHire(db, tenant);
      await sql`update public.onboarding_cases set kra_pin_ciphertext =
        (select kra_pin_ciphertext from public.onboarding_cases where id = ${a.caseId}) where id = ${b.caseId}`.execute(
        db,
      );
      const rev = await onboarding<ErrorBody>(`/me/cases/${b.caseId}/reveal`, {
        method: "POST",
        token: b.user.token,
        body: { fields: ["kra_pin"] },
      });
      assert.equal(rev.status, 422);
      assert.equal(rev.body.error.code, "business_rule");
      assert.deepEqual(rev.body.error.details, { field: "kra_pin" }, "which field, nothing about why");
      assert.ok(!JSON.stringify(rev.body).includes(a.details.kra_pin.toUpperCase()));
      const view = await onboarding<CaseBody>(`/me/cases/${b.caseId}`, { token: b.user.token });
      assert.equal(view.status, 200);
      assert.equal(view.body.pii.kra_pin, "[unavailable]");
    }),
});

Deno.test({
  name: "save details: more concurrent first saves than pooled connections, each needing a new data key, all succeed",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      // Each save encrypts inside its transaction; a tenant's first encryption
      // also creates its data key. Twelve at once hold more than the pool's
      // five connections: the vault's key store must not wait on that pool.
      const hires = [];
      for (let i = 0; i < 12; i++) hires.push(await newHire(db, await createTenant(db)));
      const saves = await Promise.all(hires.map(({ user, caseId }) =>
        onboarding<CaseBody>(`/me/cases/${caseId}/details`, { method: "PUT", token: user.token, body: details() })
      ));
      assert.deepEqual(saves.map((r) => r.status), hires.map(() => 200), JSON.stringify(saves.find((r) => r.status !== 200)?.body));
    }),
});
