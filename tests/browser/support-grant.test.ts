// Support page, end to end in Chromium with two signed-in tabs: the tenant
// owner opens a ticket (an empty subject is refused inline first); the agent
// finds it in the queue, asks for access (too many hours refused inline),
// the owner approves the request, and the agent then sees the tenant's
// employees — masked.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fixtures, type TestUser } from "./_support/fixtures.ts";
import { skipReason } from "./_support/env.ts";
import { signInByPicking, signInWithToken, type Stack, startStack, waitForText } from "./_support/stack.ts";

describe("support page: a ticket and an access grant", { skip: skipReason }, () => {
  let stack: Stack;
  let fx: Fixtures;
  let tenant: { id: string; name: string };
  let owner: TestUser;
  let agent: TestUser;
  let employee: { employeeId: string; lastName: string };

  before(async () => {
    fx = await Fixtures.open();
    tenant = await fx.tenant();
    owner = await fx.member(tenant.id, "owner");
    agent = await fx.agent();
    employee = await fx.employee(tenant.id, owner, "0711 999 888");
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
    await fx?.close();
  });

  it("ticket → access request → approval → masked read under the grant", async () => {
    const subject = `Wrong bank on payslips ${tenant.id.slice(0, 8)}`;
    const ownerTab = await stack.tab();
    await signInByPicking(ownerTab, owner.email);
    await ownerTab.goto("/support");
    await ownerTab.locator("body[data-loaded]").waitFor();
    await ownerTab.waitForSelector("#tenant-side:not([hidden])");
    await ownerTab.waitForSelector(`#tenant option[value="${tenant.id}"]`, { state: "attached" });

    await ownerTab.fill("#ticket-body", "Payslips show the wrong bank since March");
    await ownerTab.click("#ticket-form button[type=submit]");
    const subjectError = '#ticket-form [data-error-for="subject"]';
    await ownerTab.locator(`${subjectError}:not(:empty)`).waitFor();
    assert.equal(await ownerTab.textContent("#tickets"), "", "nothing opened");

    await ownerTab.fill("#ticket-subject", subject);
    await ownerTab.click("#ticket-form button[type=submit]");
    await waitForText(ownerTab, "#ticket-message", "Ticket opened");
    assert.equal(await ownerTab.textContent("#tickets"), `${subject} · open · normal`);
    assert.equal(await ownerTab.textContent(subjectError), "");

    const agentTab = await stack.tab();
    await signInWithToken(agentTab, await fx.token(agent.email), agent.email);
    await agentTab.goto("/support");
    await agentTab.locator("body[data-loaded]").waitFor();
    await agentTab.waitForSelector("#agent-side:not([hidden])");
    assert.equal(await agentTab.isHidden("#tenant-side"), true);
    await agentTab.fill("#queue-tenant", tenant.id);
    await agentTab.click("#queue-filter button[type=submit]");
    const queued = `#queue li:has-text("${subject}")`;
    await agentTab.waitForSelector(queued);
    assert.match(await agentTab.textContent(queued) ?? "", new RegExp(`^${tenant.name} · `));
    assert.equal(await agentTab.locator("#queue li").count(), 1, "only this tenant's ticket");

    await agentTab.click(`${queued} button.request-access`);
    await agentTab.waitForSelector("#access-form:not([hidden])");
    await agentTab.fill("#access-reason", "Checking the bank details on the payslip ticket");
    await agentTab.fill("#access-hours", "100");
    await agentTab.click("#access-form button[type=submit]");
    const hoursError = '#access-form [data-error-for="duration_hours"]';
    await agentTab.locator(`${hoursError}:not(:empty)`).waitFor();
    assert.match(await agentTab.textContent(hoursError) ?? "", /72/);

    await agentTab.fill("#access-hours", "2");
    await agentTab.click("#access-form button[type=submit]");
    await agentTab.waitForSelector('#my-grants li[data-state="requested"]');
    const grantId = await agentTab.getAttribute('#my-grants li[data-state="requested"]', "data-grant-id");
    assert.ok(grantId);

    await ownerTab.click("#refresh-grants");
    const pending = `#grants li[data-grant-id="${grantId}"]`;
    await ownerTab.waitForSelector(`${pending}[data-state="requested"]`);
    await ownerTab.click(`${pending} button.approve`);
    await ownerTab.waitForSelector(`${pending}[data-state="active"]`);

    await agentTab.click("#refresh-my-grants");
    const active = `#my-grants li[data-grant-id="${grantId}"][data-state="active"]`;
    await agentTab.waitForSelector(active);
    await agentTab.click(`${active} button.view-employees`);
    await agentTab.waitForSelector(`#agent-employees tr:has-text("${employee.lastName}")`);
    const shown = await agentTab.textContent("#agent-employees") ?? "";
    assert.ok(!shown.includes("999888") && !shown.includes("999 888"), "support sees masked values only");

    const { rows } = await fx.db.query(
      "select status, decided_by from public.support_access_grants where id = $1",
      [grantId],
    );
    assert.deepEqual(rows[0], { status: "approved", decided_by: owner.id });
  });
});
