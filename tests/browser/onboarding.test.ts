// Onboarding page, end to end in Chromium: a new hire signs in with a pasted
// dev token, types invalid details, sees the server's messages under the
// fields (nothing saved), fixes them, saves, and submits for review.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fixtures, type TestUser } from "./_support/fixtures.ts";
import { skipReason } from "./_support/env.ts";
import { signInWithToken, type Stack, startStack, waitForText } from "./_support/stack.ts";

describe("onboarding page", { skip: skipReason }, () => {
  let stack: Stack;
  let fx: Fixtures;
  let hire: { user: TestUser; caseId: string };

  before(async () => {
    fx = await Fixtures.open();
    const tenant = await fx.tenant();
    const owner = await fx.member(tenant.id, "owner");
    hire = await fx.newHire(tenant.id, owner);
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
    await fx?.close();
  });

  it("shows field errors inline from the envelope, saves once fixed, and submits", async () => {
    const page = await stack.tab();
    await signInWithToken(page, await fx.token(hire.user.email), hire.user.email);
    await page.goto("/onboarding");
    await page.locator("body[data-loaded]").waitFor();
    await page.waitForSelector("#details-form:not([hidden])");
    assert.match(await page.textContent("#case-status") ?? "", /draft/);

    await page.fill("#f-first_name", "Wanjiru");
    await page.fill("#f-kra_pin", "12345");
    await page.fill("#f-phone", "0712");
    await page.fill("#f-date_of_birth", "2020-01-01");
    await page.click("#save");
    await page.locator("#e-kra_pin:not(:empty)").waitFor();
    for (const field of ["kra_pin", "phone", "date_of_birth"]) {
      assert.notEqual(await page.textContent(`#e-${field}`), "", `${field} has an inline error`);
      assert.equal(await page.getAttribute(`#f-${field}`, "aria-invalid"), "true");
    }
    assert.equal(await page.textContent("#e-first_name"), "", "a valid field has no error");
    assert.equal(await page.textContent("#error"), "", "field errors are not a page-level alert");
    const unsaved = await fx.db.query(
      "select first_name, kra_pin_ciphertext from public.onboarding_cases where id = $1",
      [hire.caseId],
    );
    assert.equal(unsaved.rows[0].first_name, null, "nothing was written");

    await page.fill("#f-kra_pin", "a123456789z");
    await page.fill("#f-phone", "0712 345 678");
    await page.fill("#f-date_of_birth", "1994-05-17");
    await page.fill("#f-last_name", "Kamau");
    await page.fill("#f-national_id", "23456789");
    await page.fill("#f-bank_code", "01");
    await page.fill("#f-branch_code", "094");
    await page.fill("#f-bank_account", "0123456789");
    await page.click("#save");
    await waitForText(page, "#form-message", "Saved");
    assert.equal(await page.textContent("#e-kra_pin"), "", "the error is gone");
    assert.equal(await page.getAttribute("#f-kra_pin", "aria-invalid"), null);
    const phonePlaceholder = await page.getAttribute("#f-phone", "placeholder") ?? "";
    assert.match(phonePlaceholder, /^saved: /);
    assert.ok(
      !phonePlaceholder.includes("345 678") && !phonePlaceholder.includes("712345678"),
      "masked, not plaintext",
    );
    assert.equal(await page.inputValue("#f-phone"), "", "the plaintext is not left in the input");

    const saved = await fx.db.query(
      "select first_name, encode(kra_pin_ciphertext, 'escape') as kra from public.onboarding_cases where id = $1",
      [hire.caseId],
    );
    assert.equal(saved.rows[0].first_name, "Wanjiru");
    assert.ok(!String(saved.rows[0].kra).includes("A123456789Z"), "the database holds ciphertext");

    await page.click("#submit-case");
    await page.locator('#case-status[data-status="submitted"]').waitFor();
    assert.equal(await page.isDisabled("#save"), true, "a submitted case is read-only");
    const status = await fx.db.query("select status from public.onboarding_cases where id = $1", [hire.caseId]);
    assert.equal(status.rows[0].status, "submitted");
  });
});
