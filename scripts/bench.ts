// npm run bench: every bench/*.bench.ts (Deno) against a fresh migrated
// database of its own; each prints a markdown section of ratios measured in
// one run, collected into bench/results.md under one summary table built
// from the `BENCH_SUMMARY {json}` line each bench prints (bench/lib/bench-summary.ts).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { runMain, say } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase } from "./lib/test-database.ts";
import { generateSecrets, readEnvFile } from "./lib/secrets.ts";
import { run } from "./lib/run.ts";
import { bin } from "./lib/paths.ts";
import { startFunctions } from "./lib/functions-server.ts";
import { functionEnv } from "./lib/function-env.ts";
import { freePort } from "./lib/ports.ts";
import { readmeWithResults, resultsMarkdown, splitSummary, type BenchResult } from "../bench/lib/results-markdown.ts";

// Function settings a bench needs beyond the defaults. The API bench reveals
// thousands of fields a second as 50 admins: the reveal limit (10 a minute per
// user) would turn it into a bench of 429s.
const FUNCTION_ENV: Record<string, Record<string, string>> = {
  "api.bench.ts": { KAZI_REVEAL_RATE_LIMIT: "10000", KAZI_REVEAL_RATE_WINDOW_SECONDS: "1" },
};

await runMain(async () => {
  const only = process.argv.slice(2);
  const benches = readdirSync("bench")
    .filter((f) => f.endsWith(".bench.ts") && (!only.length || only.some((o) => f.includes(o))))
    .sort();
  if (!benches.length) return say("no benchmarks in bench/");
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const results: BenchResult[] = [];
  try {
    for (const file of benches) {
      const db = await createMigratedDatabase(server.url, "bench");
      const secrets = await generateSecrets();
      // Benches of the HTTP APIs call the functions, served against the same database.
      const functions = await startFunctions(
        { ...functionEnv(secrets, db.url), ...FUNCTION_ENV[file] },
        { port: await freePort(), log: () => {} },
      );
      try {
        say(`bench/${file}`);
        const started = Date.now();
        const ran = await run(bin("deno"), ["run", "-A", `bench/${file}`], {
          env: {
            ...secrets,
            KAZI_BENCH_DB_URL: db.url,
            KAZI_BENCH_FUNCTIONS_URL: functions.url,
            // so a bench can read the server's CPU time from /proc (where the time goes)
            KAZI_BENCH_FUNCTIONS_PID: String(functions.child.pid ?? ""),
            KAZI_BENCH_FUNCTIONS_INSTANCES: String(functions.instances),
            NO_COLOR: "1",
          },
        });
        results.push({ file, code: ran.code, seconds: (Date.now() - started) / 1000, ...splitSummary(ran.output) });
      } finally {
        await functions.stop();
        await db.drop();
      }
    }
  } finally {
    await server.stop();
  }
  const when = new Date();
  writeFileSync("bench/results.md", resultsMarkdown(results, when));
  say("wrote bench/results.md");
  // The README's table is the whole suite's: a filtered run leaves it alone.
  if (!only.length) {
    writeFileSync("README.md", readmeWithResults(readFileSync("README.md", "utf8"), results, when));
    say("updated the benchmark table in README.md");
  }
  if (results.some((r) => r.code !== 0)) process.exit(1);
});
