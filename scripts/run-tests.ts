// npm test: one fresh database, then every suite against it — pgTAP through
// pg_prove, the Supabase linters, Deno unit tests, and Deno integration tests
// against the served functions — ending with one `N passed, N failed` line.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execSync } from "node:child_process";
import { runMain, say } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase, installPgTap } from "./lib/test-database.ts";
import { generateSecrets, readEnvFile } from "./lib/secrets.ts";
import { functionEnv } from "./lib/function-env.ts";
import { startFunctions } from "./lib/functions-server.ts";
import { run } from "./lib/run.ts";
import { type Tally, tallyCheck, tallyDeno, tallyNodeTest, tallyTap, total } from "./lib/tally.ts";
import { forSupabaseCli } from "./lib/db-url.ts";
import { bin } from "./lib/paths.ts";
import { verifyGeneratedTypes } from "./lib/db-types.ts";
import { freePort } from "./lib/ports.ts";

// `npm run test:security` adds the slow attack suites (load, faults).
const fullSecurity = process.argv.includes("--security");
const tallies: Tally[] = [];
const report = (t: Tally) => {
  tallies.push(t);
  say(`${t.suite}: ${t.passed} passed, ${t.failed} failed`);
};

const registry = (() => {
  try {
    return execSync("npm config get registry", { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
})();

async function main(): Promise<void> {
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const db = await createMigratedDatabase(server.url);
  say(`test database ${db.name} created and migrated`);
  try {
    await installPgTap(db.url);
    const pgtapFiles = readdirSync("tests/db").filter((f) => f.endsWith(".sql")).sort().map((f) => `tests/db/${f}`);
    const url = new URL(db.url);
    const prove = await run("pg_prove", [
      "-v", "-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username) || "postgres",
      "-d", db.name, ...pgtapFiles,
    ], { env: { PGPASSWORD: decodeURIComponent(url.password) || undefined }, echo: false });
    process.stdout.write(prove.output.split("\n").filter((l) => !/^\s*ok \d+/.test(l)).join("\n"));
    report(tallyTap("pgTAP", prove.output, prove.code));

    const cliUrl = forSupabaseCli(db.url);
    const lint = await run(bin("supabase"), ["db", "lint", "--db-url", cliUrl, "-s", lintSchemas(), "--fail-on", "error"]);
    report(tallyCheck("supabase db lint", lint.code));
    const advisors = await run(bin("supabase"), [
      "db", "advisors", "--db-url", cliUrl, "--type", "all", "--level", "info", "--fail-on", "warn",
    ]);
    report(tallyCheck("supabase db advisors", advisors.code));

    // Kysely types and the supabase-js Database type, both from this schema.
    const types = await verifyGeneratedTypes(db.url);
    if (types.code !== 0) process.stdout.write(`${types.output}\nrun \`npm run gen:types\` and commit the result\n`);
    report(tallyCheck("generated database types up to date", types.code));

    const scan = await run(bin("secretlint"), ["**/*"]);
    report(tallyCheck("secretlint (no secret in the tree)", scan.code));

    // Deno type-checks the Node tooling too, and every file no test imports.
    const check = await run(bin("deno"), ["check", "functions/", "scripts/", "tests/", ...(existsSync("bench") ? ["bench/"] : [])], {
      env: { NPM_CONFIG_REGISTRY: registry, NO_COLOR: "1" },
      echo: false,
    });
    if (check.code !== 0) process.stdout.write(check.output);
    report(tallyCheck("deno check (every TypeScript file)", check.code));

    const denoEnv = { NPM_CONFIG_REGISTRY: registry, NO_COLOR: "1", KAZI_TEST_DB_URL: db.url };
    const unit = await run(bin("deno"), ["test", "-A", ...present("functions/", "scripts/", "packages/", "bench/lib/")], { env: denoEnv });
    report(tallyDeno("deno unit", unit.output, unit.code));

    // The functions' whole output is kept for the leak scan that runs last.
    const runSecrets = await generateSecrets();
    const port = await freePort();
    let functionsLog = "";
    const functions = await startFunctions(functionEnv(runSecrets, db.url), {
      port,
      log: (chunk) => void (functionsLog += chunk),
    });
    const stackEnv = {
      ...denoEnv,
      ...runSecrets,
      KAZI_FUNCTIONS_URL: functions.url,
      KAZI_TEST_SERVER_URL: server.url,
    };
    try {
      const suites = present("tests/integration/", "tests/tooling/", "tests/security/", ...(fullSecurity ? ["tests/security-slow/"] : []));
      const integration = await run(bin("deno"), ["test", "-A", ...suites], { env: stackEnv });
      report(tallyDeno("deno integration", integration.output, integration.code));
      const browserTests = existsSync("tests/browser")
        ? readdirSync("tests/browser").filter((f) => f.endsWith(".test.ts")).sort().map((f) => `tests/browser/${f}`)
        : [];
      if (browserTests.length) {
        const browser = await run("node", ["--import", "tsx", "--test", "--test-reporter=tap", ...browserTests], { env: stackEnv });
        report(tallyNodeTest("browser (node --test)", browser.output, browser.code));
      }
    } finally {
      await functions.stop();
    }
    const logFile = join(mkdtempSync(join(tmpdir(), "kazi-functions-log-")), "functions.log");
    writeFileSync(logFile, functionsLog, { mode: 0o600 });
    try {
      const leaks = await run(bin("deno"), ["test", "-A", "tests/leaks/"], { env: { ...stackEnv, KAZI_FUNCTIONS_LOG: logFile } });
      report(tallyDeno("leak scan (audit rows, function logs)", leaks.output, leaks.code));
    } finally {
      rmSync(logFile, { force: true });
    }
  } finally {
    await db.drop();
    await server.stop();
  }
}

/** The folders among these that exist (later issues add some). */
function present(...dirs: string[]): string[] {
  return dirs.filter((d) => existsSync(d));
}

/** Every schema our migrations own; the linter checks each one's functions. */
function lintSchemas(): string {
  return ["public", "private", "audit"].join(",");
}

await runMain(async () => {
  try {
    await main();
  } catch (err) {
    // A broken setup (say, a failing migration) still ends with the totals line.
    console.error(err instanceof Error ? `kazi: ${err.message}` : err);
    report({ suite: "setup", passed: 0, failed: 1 });
  }
  const { passed, failed } = total(tallies);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) process.exit(1);
});
