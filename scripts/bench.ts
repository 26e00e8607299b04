// npm run bench: every bench/*.bench.ts (Deno) against a fresh migrated
// database of its own; each prints a markdown table of ratios measured in
// one run, collected into bench/results.md.
import { readdirSync, writeFileSync } from "node:fs";
import { runMain, say } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase } from "./lib/test-database.ts";
import { generateSecrets, readEnvFile } from "./lib/secrets.ts";
import { run } from "./lib/run.ts";
import { bin } from "./lib/paths.ts";
import { startFunctions } from "./lib/functions-server.ts";
import { functionEnv } from "./lib/function-env.ts";
import { freePort } from "./lib/ports.ts";

await runMain(async () => {
  const only = process.argv.slice(2);
  const benches = readdirSync("bench")
    .filter((f) => f.endsWith(".bench.ts") && (!only.length || only.some((o) => f.includes(o))))
    .sort();
  if (!benches.length) return say("no benchmarks in bench/");
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const sections: string[] = [`# Benchmark results\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\n`];
  let failed = 0;
  try {
    for (const file of benches) {
      const db = await createMigratedDatabase(server.url, "bench");
      const secrets = await generateSecrets();
      // Benches of the HTTP APIs call the functions, served against the same database.
      const functions = await startFunctions(functionEnv(secrets, db.url), { port: await freePort(), log: () => {} });
      try {
        say(`bench/${file}`);
        const ran = await run(bin("deno"), ["run", "-A", `bench/${file}`], {
          env: { ...secrets, KAZI_BENCH_DB_URL: db.url, KAZI_BENCH_FUNCTIONS_URL: functions.url, NO_COLOR: "1" },
        });
        if (ran.code !== 0) failed++;
        sections.push(`## ${file}\n\n${ran.output.trim()}\n`);
      } finally {
        await functions.stop();
        await db.drop();
      }
    }
  } finally {
    await server.stop();
  }
  writeFileSync("bench/results.md", sections.join("\n"));
  say("wrote bench/results.md");
  if (failed) process.exit(1);
});
