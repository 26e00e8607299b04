// @kazi/client against the served functions: the three portal flows through
// the typed methods, and every failure surfacing as a KaziApiError carrying
// the envelope's code, message, details, request_id and the HTTP status.
import assert from "node:assert/strict";
import { sql } from "kysely";
import {
  createKaziClient,
  isKaziApiError,
  type KaziApiError,
  type KaziClient,
} from "../../packages/kazi-client/src/mod.ts";
import { createAuthUser, withTestDb } from "./_support/db.ts";
import { env } from "./_support/env.ts";
import { userToken } from "./_support/tokens.ts";
import { addMember, createTenant, createUser, details } from "./onboarding-fixtures.ts";

const ignore = !env.functionsUrl || !env.testDbUrl;

function clientFor(token: string | null): KaziClient {
  return createKaziClient({ baseUrl: env.functionsUrl!, accessToken: () => token });
}

async function rejection(p: Promise<unknown>): Promise<KaziApiError> {
  try {
    await p;
  } catch (err) {
    if (isKaziApiError(err)) return err;
    throw err;
  }
  assert.fail("expected the call to fail");
}

Deno.test({
  name: "client: onboarding → approval → admin reveal, with typed errors on the way",
  ignore,
  fn: () =>
    withTestDb(async (db) => {
      const tenantId = await createTenant(db);
      const owner = await addMember(db, tenantId, "owner");
      const admin = clientFor(owner.token);

      // The owner invites through the admin function; the invitee signs up and accepts.
      const hireEmail = `hire-${crypto.randomUUID().slice(0, 8)}@client-test.kazi.example`;
      const invited = await admin.admin.inviteMember({
        params: { tenantId },
        body: { email: hireEmail, role: "employee" },
      });
      assert.equal(invited.invitation.email, hireEmail);
      const hireUser = await createAuthUser(db, hireEmail);
      const hire = clientFor(await userToken(hireUser.id, { email: hireEmail }));
      const accepted = await hire.onboarding.acceptInvitation({
        body: { token: invited.token },
        idempotencyKey: crypto.randomUUID(),
      });
      const caseId = accepted.case.id;
      assert.equal(accepted.case.status, "draft");

      // Invalid input: 400 invalid_input with per-field messages, nothing saved.
      const bad = await rejection(hire.onboarding.saveMyDetails({
        params: { caseId },
        body: { first_name: "Wanjiku", kra_pin: "not-a-pin", phone: "12" },
      }));
      assert.equal(bad.status, 400);
      assert.equal(bad.code, "invalid_input");
      assert.deepEqual(Object.keys(bad.fields).sort(), ["kra_pin", "phone"]);
      assert.match(bad.request_id ?? "", /.+/);
      assert.ok(!JSON.stringify(bad.details).includes("not-a-pin"), "the bad value is not echoed");
      assert.equal((await hire.onboarding.getMyCase({ params: { caseId } })).first_name, null);

      const filled = details();
      const saved = await hire.onboarding.saveMyDetails({ params: { caseId }, body: filled });
      assert.equal(saved.first_name, filled.first_name);
      assert.notEqual(saved.pii.phone, null);
      assert.ok(!saved.pii.phone!.includes("345"), "masked");
      assert.equal((await hire.onboarding.submitMyCase({ params: { caseId } })).status, "submitted");

      const approved = await admin.onboarding.approveCase({
        params: { caseId },
        body: { reason: "Documents checked" },
      });
      const employeeId = approved.employee.id;

      // A reveal without a reason is refused by the server (the types refuse it too).
      const noReason = await rejection(admin.admin.revealPii({
        params: { tenantId, employeeId },
        // deno-lint-ignore no-explicit-any
        body: { field: "phone" } as any,
      }));
      assert.equal(noReason.code, "invalid_input");
      assert.ok("reason" in noReason.fields);
      const revealed = await admin.admin.revealPii({
        params: { tenantId, employeeId },
        body: { field: "phone", reason: "Payroll query from the employee" },
      });
      assert.equal(revealed.value, "+254712345678");

      // The new hire may not reveal through the admin function: 403 forbidden.
      const forbidden = await rejection(hire.admin.revealPii({
        params: { tenantId, employeeId },
        body: { field: "phone", reason: "Curious about my record" },
      }));
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.code, "forbidden");
    }),
});

Deno.test({
  name: "client: a ticket and an access grant between a tenant and a support agent",
  ignore,
  fn: () =>
    withTestDb(async (db) => {
      const tenantId = await createTenant(db);
      const owner = await addMember(db, tenantId, "owner");
      const agentUser = await createUser(db);
      await sql`insert into public.platform_staff (user_id, role) values (${agentUser.id}, 'platform_support')`.execute(
        db,
      );
      const tenant = clientFor(owner.token);
      const agent = clientFor(agentUser.token);

      const ticket = await tenant.support.openTicket({
        params: { tenantId },
        body: { subject: "Payslips show the wrong bank", body: "Since March" },
        idempotencyKey: crypto.randomUUID(),
      });
      assert.equal(ticket.priority, "normal");
      assert.equal(ticket.messages.length, 1);

      const before = await rejection(agent.support.listTenantEmployees({ params: { tenantId } }));
      assert.equal(before.status, 403);

      const grant = await agent.support.requestAccess({
        body: { tenant_id: tenantId, reason: `Investigating ticket ${ticket.id}`, duration_hours: 2 },
      });
      assert.equal(grant.state, "requested");
      const approved = await tenant.support.approveAccessGrant({ params: { tenantId, grantId: grant.id } });
      assert.equal(approved.state, "active");
      const page = await agent.support.listTenantEmployees({ params: { tenantId } });
      assert.equal(page.grant_id, grant.id);

      const queue = await agent.support.listQueue({ query: { tenant_id: tenantId } });
      assert.deepEqual(queue.items.map((t) => t.id), [ticket.id]);
    }),
});

Deno.test({
  name: "client: no token → 401 unauthorized; unreachable functions → network_error with status 0",
  ignore,
  fn: async () => {
    const anonymous = await rejection(clientFor(null).onboarding.listMyCases());
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.code, "unauthorized");
    assert.equal(typeof anonymous.message, "string");

    const nowhere = createKaziClient({ baseUrl: "http://127.0.0.1:1/functions/v1", accessToken: () => "x" });
    const down = await rejection(nowhere.onboarding.listMyCases());
    assert.equal(down.status, 0);
    assert.equal(down.code, "network_error");
  },
});
