/**
 * Seed generator (Deno): N tenants and M employees of realistic Kenyan data
 * (scripts/lib/kenyan-data.ts), every protected field encrypted and
 * blind-indexed through the real PII vault, so the rows are exactly what the
 * APIs would have written. Built for 1,000,000 employees: encryption of one
 * batch overlaps the insert of the previous one, and each batch is one
 * multi-row INSERT (unnest of arrays).
 *
 *   deno run -A scripts/generate-seed.ts --tenants 10 --employees 100000 --seed 42 [--batch 2000]
 *
 * Env: DATABASE_URL or SUPABASE_DB_URL (owner / service connection; the data
 * keys live in private.tenant_data_keys), KAZI_KEKS, KAZI_KEK_ACTIVE,
 * KAZI_BLIND_INDEX_KEY — taken from the environment, else from .env.local
 * (written by `npm start`). Progress on stderr; one JSON summary line on
 * stdout. Never prints a value, a key or a ciphertext.
 *
 * Nothing is bypassed: the employees' audit triggers run as for any write
 * (one row.insert event per row, in the tenants' hash chains), and Postgres
 * checks every ciphertext and blind index as usual.
 *
 * Deterministic: one --seed gives the same tenants, ids and people (only the
 * random IVs of the ciphertexts differ). Tenants of a seed that already exist
 * are refused rather than mixed with new rows.
 *
 * Also a module (no side effect on import): `generateSeed(db, vault, options,
 * onProgress?)` seeds through a caller's Kysely handle and vault and returns
 * the summary; `seedCryptoConfig(env)` is the vault configuration the CLI
 * uses. The benchmarks build their encrypted corpus with it
 * (bench/lib/seed-corpus.ts).
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { z } from "zod";
import { type CryptoConfig, loadCryptoConfig } from "../functions/_shared/crypto/config.ts";
import { isCryptoError } from "../functions/_shared/crypto/errors.ts";
import { PiiVault } from "../functions/_shared/crypto/pii-vault.ts";
import { PII_FIELDS } from "../functions/_shared/pii/fields.ts";
import { type EmployeeSeed, employeeSeeds, employeesPerTenant, type TenantSeed, tenantSeed } from "./lib/kenyan-data.ts";
import { readEnvFile } from "./lib/secrets.ts";

const argsSchema = z.object({
  tenants: z.coerce.number().int().min(1).max(100_000),
  employees: z.coerce.number().int().min(0).max(50_000_000),
  seed: z.string().min(1).max(100),
  batch: z.coerce.number().int().min(1).max(20_000).default(2000),
});
export type SeedArgs = z.infer<typeof argsSchema>;
/** What `generateSeed` takes: the CLI's options, `batch` optional (default 2000). */
export type SeedOptions = Omit<SeedArgs, "batch"> & { batch?: number };

/** Validates options given in code, as the CLI validates its flags; throws SeedError naming the bad ones. */
export function seedArgs(options: SeedOptions): SeedArgs {
  const r = argsSchema.safeParse(options);
  if (!r.success) {
    throw new SeedError(`invalid seed options: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return r.data;
}

function parseArgs(argv: string[]): SeedArgs {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) raw[argv[i].slice(2)] = argv[++i];
  }
  const r = argsSchema.safeParse(raw);
  if (!r.success) {
    console.error("usage: generate-seed.ts --tenants N --employees M --seed S [--batch 2000]");
    console.error(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
    Deno.exit(2);
  }
  return r.data;
}

// deno-lint-ignore no-explicit-any
type Db = Kysely<any>;

export interface SeedSummary {
  seed: string;
  tenants: number;
  employees: number;
  seconds: number;
  employees_per_second: number;
  encrypt_seconds: number;
  insert_seconds: number;
  tenant_ids: string[];
}

/**
 * Generates and inserts; `onProgress(done, total)` once with 0 before the
 * first batch, then after each committed batch. Options are validated before
 * anything is written (SeedError); a seed whose tenants exist is refused
 * (SeedError). Needs the owner / service connection, like the CLI.
 */
export async function generateSeed(
  db: Db,
  vault: PiiVault,
  options: SeedOptions,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<SeedSummary> {
  const a = seedArgs(options);
  const started = performance.now();
  const tenants = Array.from({ length: a.tenants }, (_, t) => tenantSeed(a.seed, t));
  await insertTenants(db, tenants);
  const sizes = employeesPerTenant(a.employees, a.tenants);
  let done = 0;
  onProgress(0, a.employees);
  // Pipeline: encrypt batch k+1 while batch k is being inserted.
  // The two busy times say which side limits throughput (they overlap, so they may sum past the total).
  let inserting: Promise<void> = Promise.resolve();
  let encryptMs = 0, insertMs = 0;
  for (const batch of batches(tenants, sizes, a)) {
    const t0 = performance.now();
    const rows = await encryptBatch(vault, batch);
    encryptMs += performance.now() - t0;
    await inserting;
    const t1 = performance.now();
    inserting = insertEmployees(db, rows).then(() => {
      insertMs += performance.now() - t1;
      onProgress(done += rows.length, a.employees);
    });
    // handled here, rethrown by the await above: a failed insert must not end the process unreported
    inserting.catch(() => {});
  }
  await inserting;
  const seconds = (performance.now() - started) / 1000;
  return {
    seed: a.seed,
    tenants: a.tenants,
    employees: done,
    seconds: Math.round(seconds * 10) / 10,
    employees_per_second: Math.round(done / seconds),
    encrypt_seconds: Math.round(encryptMs / 100) / 10,
    insert_seconds: Math.round(insertMs / 100) / 10,
    tenant_ids: tenants.map((t) => t.id),
  };
}

function* batches(tenants: TenantSeed[], sizes: number[], a: SeedArgs): Generator<EmployeeSeed[]> {
  let batch: EmployeeSeed[] = [];
  for (let t = 0; t < tenants.length; t++) {
    for (const e of employeeSeeds(a.seed, tenants[t], sizes[t])) {
      batch.push(e);
      if (batch.length === a.batch) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

async function insertTenants(db: Db, tenants: TenantSeed[]): Promise<void> {
  const ids = tenants.map((t) => t.id);
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from public.tenants
    where id = any(${ids}::uuid[])`.execute(db);
  if (rows[0].n > 0) {
    throw new SeedError(`${rows[0].n} tenant(s) of seed already exist: use another --seed or a fresh database`);
  }
  for (let i = 0; i < tenants.length; i += 1000) {
    const part = tenants.slice(i, i + 1000);
    await sql`insert into public.tenants (id, name, slug)
      select * from unnest(${part.map((t) => t.id)}::uuid[], ${part.map((t) => t.name)}::text[],
                           ${part.map((t) => t.slug)}::text[])`.execute(db);
  }
}

interface EncryptedRow {
  e: EmployeeSeed;
  cipher: Record<(typeof PII_FIELDS)[number], { ciphertext: Uint8Array; blindIndex: Uint8Array }>;
}

async function encryptBatch(vault: PiiVault, batch: EmployeeSeed[]): Promise<EncryptedRow[]> {
  return await Promise.all(batch.map(async (e) => {
    const out = await Promise.all(PII_FIELDS.map((field) =>
      vault.encryptField({ tenantId: e.tenantId, table: "employees", field, rowId: e.id, value: e.pii[field] })
    ));
    const cipher = Object.fromEntries(
      PII_FIELDS.map((f, i) => [f, { ciphertext: out[i].ciphertext, blindIndex: out[i].blindIndex }]),
    ) as EncryptedRow["cipher"];
    return { e, cipher };
  }));
}

async function insertEmployees(db: Db, rows: EncryptedRow[]): Promise<void> {
  const col = <T>(f: (r: EncryptedRow) => T) => rows.map(f);
  const bytes = (field: (typeof PII_FIELDS)[number], part: "ciphertext" | "blindIndex") =>
    col((r) => r.cipher[field][part]);
  await sql`insert into public.employees (
      id, tenant_id, employee_number, first_name, last_name, other_names, date_of_birth, job_title,
      department, employment_start_date, status, bank_code, branch_code,
      kra_pin_ciphertext, kra_pin_blind_index, national_id_ciphertext, national_id_blind_index,
      phone_ciphertext, phone_blind_index, bank_account_ciphertext, bank_account_blind_index)
    select * from unnest(
      ${col((r) => r.e.id)}::uuid[], ${col((r) => r.e.tenantId)}::uuid[], ${col((r) => r.e.employeeNumber)}::text[],
      ${col((r) => r.e.firstName)}::text[], ${col((r) => r.e.lastName)}::text[], ${col((r) => r.e.otherNames)}::text[],
      ${col((r) => r.e.dateOfBirth)}::date[], ${col((r) => r.e.jobTitle)}::text[], ${col((r) => r.e.department)}::text[],
      ${col((r) => r.e.employmentStartDate)}::date[], ${col((r) => r.e.status)}::text[],
      ${col((r) => r.e.bankCode)}::text[], ${col((r) => r.e.branchCode)}::text[],
      ${bytes("kra_pin", "ciphertext")}::bytea[], ${bytes("kra_pin", "blindIndex")}::bytea[],
      ${bytes("national_id", "ciphertext")}::bytea[], ${bytes("national_id", "blindIndex")}::bytea[],
      ${bytes("phone", "ciphertext")}::bytea[], ${bytes("phone", "blindIndex")}::bytea[],
      ${bytes("bank_account", "ciphertext")}::bytea[], ${bytes("bank_account", "blindIndex")}::bytea[])`.execute(db);
}

export class SeedError extends Error {}

/**
 * The vault configuration of the seed generator: the usual crypto settings,
 * with data-key uses reserved in large blocks (one UPDATE per 10,000
 * encryptions, not per 1,000) unless KAZI_DEK_RESERVE_BATCH says otherwise.
 */
export function seedCryptoConfig(env: Record<string, string | undefined>): CryptoConfig {
  return loadCryptoConfig({ KAZI_DEK_RESERVE_BATCH: "10000", ...env });
}

/** Secrets from the environment, else .env.local (what `npm start` wrote). */
function secretsEnv(): Record<string, string | undefined> {
  const env = Deno.env.toObject();
  if (env.KAZI_KEKS) return env;
  return { ...(readEnvFile() ?? {}), ...env };
}

function progressBar(): (done: number, total: number) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const t0 = performance.now();
  let lastDecile = -1;
  return (done, total) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    const secs = (performance.now() - t0) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    const line = `employees [${"#".repeat(Math.floor(pct / 5)).padEnd(20, ".")}] ${pct}% ${done}/${total}` +
      ` ${Math.round(rate)}/s eta ${eta}s`;
    if (tty) Deno.stderr.writeSync(enc.encode(`\r${line}`));
    else if (Math.floor(pct / 10) !== lastDecile) {
      lastDecile = Math.floor(pct / 10);
      console.error(line);
    }
  };
}

async function main(): Promise<void> {
  const a = parseArgs(Deno.args);
  const env = secretsEnv();
  const url = env.DATABASE_URL ?? env.SUPABASE_DB_URL;
  if (!url) throw new SeedError("set DATABASE_URL or SUPABASE_DB_URL");
  const config = seedCryptoConfig(env);
  const pool = new pg.Pool({ connectionString: url, max: 3, application_name: "kazi-generate-seed" });
  pool.on("error", () => {});
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  try {
    const summary = await generateSeed(db, PiiVault.create(db, config), a, progressBar());
    if (Deno.stderr.isTerminal()) console.error();
    console.log(JSON.stringify({ ...summary, tenant_ids: undefined }));
  } finally {
    await db.destroy();
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    // Never print a library message verbatim (it could quote a value): our own messages, else code and class.
    const { code, constraint } = e as { code?: string; constraint?: string };
    const message = e instanceof SeedError || isCryptoError(e) ? e.message : (e as Error)?.name ?? "error";
    console.error(`generate-seed failed: ${message}${code ? ` (${code})` : ""}${constraint ? ` on ${constraint}` : ""}`);
    Deno.exit(1);
  }
}
