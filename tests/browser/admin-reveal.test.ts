// Admin page, end to end in Chromium: an owner picked from the dev user list
// sees an employee masked, is refused a reveal without a reason (the message
// shows under the reason box, no value), then reveals with a reason — and
// the reveal is in the audit trail with that reason.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fixtures, type TestUser } from "./_support/fixtures.ts";
import { skipReason } from "./_support/env.ts";
import { signInByPicking, type Stack, startStack } from "./_support/stack.ts";

describe("admin page: reveal with a reason", { skip: skipReason }, () => {
  let stack: Stack;
  let fx: Fixtures;
  let owner: TestUser;
  let employee: { employeeId: string; lastName: string };

  before(async () => {
    fx = await Fixtures.open();
    const tenant = await fx.tenant();
    owner = await fx.member(tenant.id, "owner");
    employee = await fx.employee(tenant.id, owner, "0733 111 222");
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
    await fx?.close();
  });

  it("lists masked values, refuses a reveal without a reason, reveals with one", async () => {
    const page = await stack.tab();
    await signInByPicking(page, owner.email);
    await page.goto("/admin");
    await page.locator("body[data-loaded]").waitFor();
    const row = `#employees tr[data-employee-id="${employee.employeeId}"]`;
    await page.waitForSelector(row);
    const masked = await page.textContent(`${row} .masked-phone`) ?? "";
    assert.ok(masked.length > 0 && !masked.includes("111222") && !masked.includes("111 222"), `masked: ${masked}`);

    await page.click(`${row} button.reveal`);
    await page.waitForSelector("#reveal-form:not([hidden])");
    await page.selectOption("#reveal-field", "phone");
    await page.click("#reveal");
    const reasonError = '#reveal-form [data-error-for="reason"]';
    await page.locator(`${reasonError}:not(:empty)`).waitFor();
    assert.equal(await page.getAttribute("#reveal-reason", "aria-invalid"), "true");
    assert.equal(await page.isHidden("#revealed"), true, "no value without a reason");

    await page.fill("#reveal-reason", "Payroll query from the employee");
    await page.click("#reveal");
    await page.waitForSelector("#revealed:not([hidden])");
    assert.equal(await page.textContent("#revealed"), "+254733111222");
    assert.equal(await page.textContent(reasonError), "");

    const { rows } = await fx.db.query(
      `select actor_id, outcome, details->>'field' as field, details->>'reason' as reason
         from audit.events where action = 'pii.reveal' and resource_id = $1 order by id`,
      [employee.employeeId],
    );
    assert.deepEqual(rows.map((r) => [r.actor_id, r.outcome, r.field, r.reason]), [
      [owner.id, "success", "phone", "Payroll query from the employee"],
    ]);

    await page.click("#hide-value");
    assert.equal(await page.isHidden("#revealed"), true);
    assert.equal(await page.textContent("#revealed"), "");
  });
});
