// POST /onboarding/invitations/accept against the served function.
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
  invite,
  onboarding,
  rid,
} from "./onboarding-fixtures.ts";

const ready = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL");

interface Accepted {
  invitation_id: string;
  tenant_id: string;
  role: string;
  membership_id: string;
  case: CaseBody;
}

Deno.test({
  name: "accept: 201 creates the membership with the offered role and my draft case; the token is single use",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const user = await createUser(db);
      const token = await invite(db, tenant, user.email, { role: "hr_manager" });

      const res = await onboarding<Accepted>("/invitations/accept", { token: user.token, body: { token } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.tenant_id, tenant);
      assert.equal(res.body.role, "hr_manager");
      assert.equal(res.body.case.status, "draft");
      assert.equal(res.body.case.subject_user_id, user.id);
      assert.deepEqual(res.body.case.pii, { kra_pin: null, national_id: null, phone: null, bank_account: null });

      const { rows: [m] } = await sql<{ role: string }>`select role from public.memberships
        where tenant_id = ${tenant} and user_id = ${user.id}`.execute(db);
      assert.equal(m.role, "hr_manager");
      const { rows: [inv] } = await sql<{ accepted_by: string; accepted: boolean }>`
        select accepted_by, accepted_at is not null as accepted from public.invitations
        where id = ${res.body.invitation_id}`.execute(db);
      assert.deepEqual(inv, { accepted_by: user.id, accepted: true });
      const { rows: hist } = await sql<
        { to_status: string }
      >`select to_status from public.onboarding_case_status_history
        where case_id = ${res.body.case.id}`.execute(db);
      assert.deepEqual(hist.map((h) => h.to_status), ["draft"]);

      // used: a second acceptance is a conflict, and nothing new is created
      const again = await onboarding<ErrorBody>("/invitations/accept", { token: user.token, body: { token } });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "conflict");
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.onboarding_cases
        where subject_user_id = ${user.id}`.execute(db);
      assert.equal(n.n, 1);
    }),
});

Deno.test({
  name: "accept honours Idempotency-Key: the retry replays the same 201 without a second acceptance",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const user = await createUser(db);
      const token = await invite(db, tenant, user.email);
      const headers = { "idempotency-key": `accept-${crypto.randomUUID()}` };
      const first = await onboarding<Accepted>("/invitations/accept", { token: user.token, body: { token }, headers });
      assert.equal(first.status, 201);
      const retry = await onboarding<Accepted>("/invitations/accept", { token: user.token, body: { token }, headers });
      assert.equal(retry.status, 201);
      assert.equal(retry.headers.get("idempotent-replayed"), "true");
      assert.deepEqual(retry.body, first.body);
      const other = await onboarding<ErrorBody>("/invitations/accept", {
        token: user.token,
        body: { token: token + "x" },
        headers,
      });
      assert.equal(other.status, 422, "same key, different body");
    }),
});

Deno.test({
  name:
    "accept refuses unknown (404), expired and revoked (422), someone else's (403), malformed (400) tokens; refusals audited",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const user = await createUser(db);
      const cases: [string, string, number, string][] = [
        ["unknown", "A".repeat(43), 404, "not_found"],
        ["expired", await invite(db, tenant, user.email, { expired: true }), 422, "business_rule"],
        ["revoked", await invite(db, tenant, user.email, { revoked: true }), 422, "business_rule"],
        ["other email", await invite(db, tenant, `someone-${crypto.randomUUID()}@test.kazi.example`), 403, "forbidden"],
      ];
      for (const [label, token, status, code] of cases) {
        const requestId = rid(`accept-${label.replace(" ", "-")}`);
        const res = await onboarding<ErrorBody>("/invitations/accept", {
          token: user.token,
          body: { token },
          headers: { "x-request-id": requestId, "user-agent": "kazi-onboarding-test" },
        });
        assert.equal(res.status, status, `${label}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, code, label);
        assert.equal(res.body.error.request_id, requestId);
        assert.ok(!JSON.stringify(res.body).includes(token), "the token is never echoed");
        const events = await auditByRequest(db, requestId);
        const refusal = events.find((e) => e.action === "invitation.accept_refused");
        assert.ok(refusal, `${label}: refusal audited (${JSON.stringify(events)})`);
        assert.equal(refusal.outcome, "denied");
        assert.equal(refusal.actor_id, user.id);
        assert.equal(refusal.user_agent, "kazi-onboarding-test");
        assert.ok(!JSON.stringify(refusal).includes(token));
      }
      const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.memberships
        where user_id = ${user.id}`.execute(db);
      assert.equal(n.n, 0, "no refused acceptance created a membership");

      for (const body of [{}, { token: "short" }, { token: "x".repeat(20) + "'--" }, { token: "A".repeat(43), x: 1 }]) {
        const res = await onboarding<ErrorBody>("/invitations/accept", { token: user.token, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, "invalid_input");
      }
      const noToken = await onboarding<ErrorBody>("/invitations/accept", { body: { token: "A".repeat(43) } });
      assert.equal(noToken.status, 401);
    }),
});

Deno.test({
  name: "accept: an existing member gets 409 and the invitation stays unused",
  ignore: !ready,
  fn: () =>
    withTestDb(async (db) => {
      const tenant = await createTenant(db);
      const member = await addMember(db, tenant, "employee");
      const token = await invite(db, tenant, member.email, { role: "admin" });
      const res = await onboarding<ErrorBody>("/invitations/accept", { token: member.token, body: { token } });
      assert.equal(res.status, 409);
      const { rows: [inv] } = await sql<{ accepted_at: Date | null }>`select accepted_at from public.invitations
        where tenant_id = ${tenant}`.execute(db);
      assert.equal(inv.accepted_at, null);
      const { rows: [m] } = await sql<{ role: string }>`select role from public.memberships
        where tenant_id = ${tenant} and user_id = ${member.id}`.execute(db);
      assert.equal(m.role, "employee", "the role did not change");
    }),
});
