// One test file's world: the web dev server on a free port (proxying to the
// served functions) and headless Chromium with a fresh profile. Chromium is
// started with every background-network feature off: the sandbox has no
// network beyond loopback, and without these flags it keeps trying.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort } from "../../../scripts/lib/ports.ts";
import { startWebServer, type WebServer } from "../../../web/serve.ts";
import { browserEnv, CHROMIUM } from "./env.ts";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Stack {
  web: WebServer;
  browser: BrowserContext;
  /** A new tab: its own sessionStorage, so its own signed-in user. */
  tab(): Promise<Page>;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const env = browserEnv();
  const web = await startWebServer({
    port: await freePort(),
    functionsUrl: env.functionsUrl,
    databaseUrl: env.databaseUrl,
    keys: env.keys,
  });
  const profile = mkdtempSync(join(tmpdir(), "kazi-chromium-"));
  let browser: BrowserContext;
  try {
    // --user-data-dir is how Playwright names the profile for a persistent context.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      baseURL: web.url,
      timeout: 60_000,
    });
  } catch (err) {
    await web.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  browser.setDefaultTimeout(15_000);
  const failures: string[] = [];
  browser.on("weberror", (e) => failures.push(String(e.error())));
  return {
    web,
    browser,
    async tab() {
      const page = await browser.newPage();
      page.on("pageerror", (e) => failures.push(e.message));
      return page;
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await web.close();
        rmSync(profile, { recursive: true, force: true });
      }
      if (failures.length) throw new Error(`uncaught errors in the pages: ${failures.join("; ")}`);
    },
  };
}

/** Signs a tab in the way a developer would: paste a token on the sign-in page. */
export async function signInWithToken(page: Page, token: string, email: string): Promise<void> {
  await page.goto("/");
  await page.fill("#token", token);
  await page.click("#paste-form button[type=submit]");
  await waitForText(page, "#who", `Signed in as ${email}`);
}

/** …or pick the user from the dev server's list (the server mints the token). */
export async function signInByPicking(page: Page, email: string): Promise<void> {
  await page.goto("/");
  await page.fill("#user-filter", email);
  await page.click("#pick-form button[type=submit]");
  await page.click(`#users button[data-email="${email}"]`);
  await waitForText(page, "#who", `Signed in as ${email}`);
}

/** Waits until the element's whole text is `text`. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) })
    .waitFor();
}
