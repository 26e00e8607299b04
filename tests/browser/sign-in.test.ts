// Sign-in page and dev server: a bad pasted token is refused with the
// envelope's message; picking a user mints a token server-side; the bundles
// the pages load hold the typed client but no server code; the dev routes
// refuse what they should.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Fixtures, type TestUser } from "./_support/fixtures.ts";
import { skipReason } from "./_support/env.ts";
import { signInByPicking, type Stack, startStack } from "./_support/stack.ts";

describe("sign-in page and dev server", { skip: skipReason }, () => {
  let stack: Stack;
  let fx: Fixtures;
  let member: TestUser;

  before(async () => {
    fx = await Fixtures.open();
    const tenant = await fx.tenant();
    member = await fx.member(tenant.id, "hr_manager");
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
    await fx?.close();
  });

  it("refuses a forged token with the server's 401 message and stays signed out", async () => {
    const page = await stack.tab();
    await page.goto("/");
    const [header, payload] = (await fx.token(member.email)).split(".");
    await page.fill("#token", `${header}.${payload}.${"A".repeat(86)}`);
    await page.click("#paste-form button[type=submit]");
    await page.locator("#error:not(:empty)").waitFor();
    assert.match(await page.textContent("#error") ?? "", /unauthorized/);
    assert.match(await page.textContent("#who") ?? "", /Not signed in/);
    assert.equal(await page.evaluate("sessionStorage.length"), 0);
  });

  it("lists users with role hints and signs one in by picking", async () => {
    const page = await stack.tab();
    await page.goto("/");
    await page.fill("#user-filter", member.email);
    await page.click("#pick-form button[type=submit]");
    await page.waitForSelector(`#users button[data-email="${member.email}"]`);
    assert.match(await page.textContent("#users") ?? "", /hr_manager @ web-/);
    await signInByPicking(page, member.email);
    await page.click("#sign-out");
    assert.match(await page.textContent("#who") ?? "", /Not signed in/);
  });

  it("serves bundles made of the client and the page only", async () => {
    for (const name of ["sign-in", "onboarding", "admin", "support"]) {
      const res = await fetch(`${stack.web.url}/assets/${name}.js`);
      assert.equal(res.status, 200);
      const js = await res.text();
      const map = JSON.parse(Buffer.from(/base64,(\S+)\s*$/.exec(js)![1], "base64").toString("utf8"));
      const sources = (map.sources as string[]).map((s) => s.replace(/^(\.\.\/)+/, ""));
      assert.ok(sources.includes("packages/kazi-client/src/client.ts"), `${name} uses the typed client`);
      assert.deepEqual(
        sources.filter((s) => !s.startsWith("packages/kazi-client/src/") && !s.startsWith("web/src/")),
        [],
        name,
      );
      assert.ok(!sources.some((s) => s.endsWith("route-schemas.ts")), "schemas are types only");
    }
  });

  it("pages carry a strict CSP; dev routes refuse bad input and unknown users", async () => {
    const page = await fetch(`${stack.web.url}/admin`);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const unknown = await fetch(`${stack.web.url}/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "nobody@nowhere.example" }),
    });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error.code, "not_found");
    const bad = await fetch(`${stack.web.url}/dev/token`, { method: "POST", body: "not json" });
    assert.equal(bad.status, 400);
    const proxied = await fetch(`${stack.web.url}/functions/v1/admin/tenants`);
    assert.equal(proxied.status, 401, "the proxy passes the functions' answer through");
    assert.equal((await proxied.json()).error.code, "unauthorized");
  });
});
