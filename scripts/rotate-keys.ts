/**
 * Key rotation command (Deno). Resumable: run it again after a crash and it
 * continues the running job from its last committed batch.
 *
 *   deno run -A scripts/rotate-keys.ts data-key --tenant <uuid> [--batch 500] [--pause-ms 0] [--grace-ms 900000]
 *   deno run -A scripts/rotate-keys.ts data-key --all             (every tenant with a data key)
 *   deno run -A scripts/rotate-keys.ts kek [--tenant <uuid>] [--batch 200]   (rewrap data keys to KAZI_KEK_ACTIVE)
 *   deno run -A scripts/rotate-keys.ts status
 *
 * Env: SUPABASE_DB_URL (owner/service connection), KAZI_KEKS, KAZI_KEK_ACTIVE,
 * KAZI_BLIND_INDEX_KEY (see functions/_shared/crypto/config.ts). Prints a
 * progress bar on stderr and one JSON summary line per job on stdout; never a
 * value, a key or a ciphertext. Every job start and end is audited.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { z } from "zod";
import { createDbAuditSink } from "../functions/_shared/audit.ts";
import { cryptoConfigFromEnv } from "../functions/_shared/crypto/config.ts";
import { isCryptoError } from "../functions/_shared/crypto/errors.ts";
import { PiiVault } from "../functions/_shared/crypto/pii-vault.ts";
import { KeyRotation, type RotationProgress } from "../functions/_shared/crypto/rotation.ts";

const args = z.object({
  command: z.enum(["data-key", "kek", "status"]),
  tenant: z.uuid().optional(),
  all: z.boolean().default(false),
  batch: z.coerce.number().int().min(1).max(10_000).optional(),
  pauseMs: z.coerce.number().int().min(0).max(60_000).default(0),
  graceMs: z.coerce.number().int().min(0).optional(),
});

function parseArgs(argv: string[]) {
  const out: Record<string, unknown> = { command: argv[0] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--all") out.all = true;
    else if (a.startsWith("--")) {
      out[a.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = argv[++i];
    }
  }
  const r = args.safeParse(out);
  if (!r.success) {
    console.error(`usage: rotate-keys.ts data-key --tenant <uuid>|--all | kek [--tenant <uuid>] | status [--batch N] [--pause-ms N] [--grace-ms N]`);
    console.error(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
    Deno.exit(2);
  }
  if (r.data.command === "data-key" && !r.data.tenant === !r.data.all) {
    console.error("data-key needs exactly one of --tenant <uuid> or --all");
    Deno.exit(2);
  }
  return r.data;
}

function bar(label: string) {
  const tty = Deno.stderr.isTerminal();
  let lastDecile = -1;
  const enc = new TextEncoder();
  return (p: RotationProgress) => {
    const total = Math.max(p.total, p.done, 1);
    const pct = Math.min(100, Math.floor((p.done / total) * 100));
    const line = `${label} [${"#".repeat(Math.floor(pct / 5)).padEnd(20, ".")}] ${pct}% ${p.done}/${p.total}` +
      (p.skipped ? ` skipped ${p.skipped}` : "") + (p.pass > 1 ? ` pass ${p.pass}` : "");
    if (tty) Deno.stderr.writeSync(enc.encode(`\r${line}`));
    else if (Math.floor(pct / 10) !== lastDecile) {
      lastDecile = Math.floor(pct / 10);
      console.error(line);
    }
  };
}

async function main() {
  const a = parseArgs(Deno.args);
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) {
    console.error("SUPABASE_DB_URL is not set");
    Deno.exit(2);
  }
  const config = cryptoConfigFromEnv();
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: "kazi-rotate-keys" });
  pool.on("error", () => {});
  // deno-lint-ignore no-explicit-any
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  try {
    const vault = PiiVault.create(db, config);
    const rotation = new KeyRotation(db, vault);
    const audit = createDbAuditSink(db);
    const common = { batchSize: a.batch, pauseMs: a.pauseMs, destroyGraceMs: a.graceMs, audit, startedBy: "rotate-keys" };
    if (a.command === "status") {
      const { rows } = await sql`select id, kind, tenant_id, target_version, status, rows_total, rows_done, rows_skipped,
        last_error, created_at, finished_at from private.key_rotation_jobs order by created_at desc limit 20`.execute(db);
      for (const r of rows) console.log(JSON.stringify(r));
    } else if (a.command === "kek") {
      const r = await rotation.rotateKek({ ...common, tenantId: a.tenant, onProgress: bar(`kek -> v${config.activeKekVersion}`) });
      if (Deno.stderr.isTerminal()) console.error();
      console.log(JSON.stringify({ kind: "kek_rewrap", ...r }));
    } else {
      const tenants = a.tenant ? [a.tenant] : (await sql<{ tenant_id: string }>`
        select distinct tenant_id from private.tenant_data_keys where status = 'active' order by 1`.execute(db))
        .rows.map((r) => r.tenant_id);
      for (const t of tenants) {
        const r = await rotation.rotateTenantDataKey(t, { ...common, onProgress: bar(`tenant ${t}`) });
        if (Deno.stderr.isTerminal()) console.error();
        console.log(JSON.stringify({ kind: "data_key_reencrypt", tenant_id: t, ...r }));
      }
    }
  } finally {
    await db.destroy();
  }
}

try {
  await main();
} catch (e) {
  // Never print a library message verbatim (it could quote a value): code and class only.
  const code = isCryptoError(e) ? e.code : (e as { code?: string })?.code;
  console.error(`rotate-keys failed: ${isCryptoError(e) ? e.message : (e as Error)?.name ?? "error"}${code ? ` (${code})` : ""}`);
  Deno.exit(1);
}
