/**
 * PII crypto benchmark (Deno script; run by `npm run bench`). Prints markdown:
 *  1. fields encrypted/decrypted per second through our module vs bare
 *     WebCrypto AES-256-GCM on the same values in the same run (target ≥ 0.5×);
 *  2. seeding throughput: the rotation corpus, KAZI_BENCH_ROWS employees
 *     (default 100,000, one tenant, four fields each), is built by the seed
 *     generator (scripts/generate-seed.ts via bench/lib/seed-corpus.ts):
 *     realistic Kenyan data through the real encryption path; employees per
 *     second, projected to 1,000,000 (info);
 *  3. data-key rotation throughput on that corpus, projected to 1,000,000
 *     (target < 10 min).
 * Env: KAZI_BENCH_DB_URL (a migrated database), KAZI_KEKS, KAZI_KEK_ACTIVE,
 * KAZI_BLIND_INDEX_KEY. Prints no value and no key.
 */
import { sql } from "kysely";
import { cryptoConfigFromEnv } from "../functions/_shared/crypto/config.ts";
import { openField, sealField } from "../functions/_shared/crypto/field-cipher.ts";
import { PiiVault } from "../functions/_shared/crypto/pii-vault.ts";
import { KeyRotation } from "../functions/_shared/crypto/rotation.ts";
import { insertFixture, openTestDb } from "../functions/_shared/crypto/test-db.ts";
import { PII_FIELDS, type PiiField } from "../functions/_shared/pii/fields.ts";
import { summaryLine } from "./lib/bench-summary.ts";
import { seedCorpus } from "./lib/seed-corpus.ts";

const url = Deno.env.get("KAZI_BENCH_DB_URL");
if (!url) {
  console.error("KAZI_BENCH_DB_URL is not set");
  Deno.exit(2);
}
const ROWS = Number(Deno.env.get("KAZI_BENCH_ROWS") ?? 100_000);
const N = Number(Deno.env.get("KAZI_BENCH_FIELDS") ?? 20_000);
const { db, close } = openTestDb(6, url);
const vault = PiiVault.create(db, cryptoConfigFromEnv());
const tenantId = await insertFixture(db, "tenants", {});
const enc = new TextEncoder();

const valueOf = (i: number): Record<PiiField, string> => ({
  kra_pin: `A${String(100000000 + (i % 900000000)).slice(-9)}K`,
  national_id: String(10000000 + (i % 89999999)),
  phone: `+2547${String(10000000 + (i % 89999999)).slice(-8)}`,
  bank_account: String(1000000000 + i),
});

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

// ---- 1. per-field throughput, same values, same run -------------------------
const values = Array.from({ length: N }, (_, i) => valueOf(i)[PII_FIELDS[i % 4]]);
const rowIds = Array.from({ length: N }, () => crypto.randomUUID());
const bareKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
const plainBytes = values.map((v) => enc.encode(v));
const bareOut: Uint8Array[] = new Array(N);
const bareIvs: Uint8Array[] = new Array(N);
const oursOut: Uint8Array[] = new Array(N);
const fullOut: Uint8Array[] = new Array(N);
const place = (i: number) => ({ tenantId, table: "employees", column: `${PII_FIELDS[i % 4]}_ciphertext`, rowId: rowIds[i] });
await vault.encryptField({ tenantId, table: "employees", field: "phone", rowId: rowIds[0], value: "0712345678" }); // warm key

// The machine is shared and its speed drifts, so the sides are interleaved in
// small chunks and their times summed: each side sees the same conditions.
const CHUNK = 250;
const t = { bareEnc: 0, bareDec: 0, oursEnc: 0, oursDec: 0, fullEnc: 0, fullDec: 0 };
for (let from = 0; from < N; from += CHUNK) {
  const to = Math.min(N, from + CHUNK);
  t.bareEnc += await timed(async () => {
    for (let i = from; i < to; i++) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      bareIvs[i] = iv;
      bareOut[i] = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv as BufferSource }, bareKey, plainBytes[i] as BufferSource));
    }
  });
  t.oursEnc += await timed(async () => {
    for (let i = from; i < to; i++) {
      const { version, key } = await vault.keys.forEncryption(tenantId);
      oursOut[i] = await sealField(key, version, place(i), values[i]);
    }
  });
  t.fullEnc += await timed(async () => {
    for (let i = from; i < to; i++) {
      fullOut[i] = (await vault.encryptField({ tenantId, table: "employees", field: PII_FIELDS[i % 4], rowId: rowIds[i], value: values[i] })).ciphertext;
    }
  });
  t.bareDec += await timed(async () => {
    for (let i = from; i < to; i++) await crypto.subtle.decrypt({ name: "AES-GCM", iv: bareIvs[i] as BufferSource }, bareKey, bareOut[i] as BufferSource);
  });
  t.oursDec += await timed(async () => {
    for (let i = from; i < to; i++) await openField((v) => vault.keys.forDecryption(tenantId, v), place(i), oursOut[i]);
  });
  t.fullDec += await timed(async () => {
    for (let i = from; i < to; i++) {
      await vault.decryptField({ tenantId, table: "employees", field: PII_FIELDS[i % 4], rowId: rowIds[i], ciphertext: fullOut[i] });
    }
  });
}
const rate = (s: number) => Math.round(N / s);
const ratio = (ours: number, bare: number) => (bare / ours).toFixed(2);
console.log(`### Field encryption throughput (${N} fields each side, interleaved in chunks of ${CHUNK}, one run)\n`);
console.log("| operation | bare WebCrypto AES-GCM (fields/s) | ours (fields/s) | ratio ours/bare | target |");
console.log("|---|---:|---:|---:|---:|");
console.log(`| encrypt: format + AAD + counted data key | ${rate(t.bareEnc)} | ${rate(t.oursEnc)} | ${ratio(t.oursEnc, t.bareEnc)}× | ≥ 0.5× |`);
console.log(`| decrypt: parse + AAD + cached data key | ${rate(t.bareDec)} | ${rate(t.oursDec)} | ${ratio(t.oursDec, t.bareDec)}× | ≥ 0.5× |`);
console.log(`| vault.encryptField (also validate/normalise + blind-index HMAC) | ${rate(t.bareEnc)} | ${rate(t.fullEnc)} | ${ratio(t.fullEnc, t.bareEnc)}× | info |`);
console.log(`| vault.decryptField | ${rate(t.bareDec)} | ${rate(t.fullDec)} | ${ratio(t.fullDec, t.bareDec)}× | info |`);

// ---- 2. seeding throughput (the rotation corpus) -----------------------------
// One tenant of ROWS employees from the seed generator, timed end to end
// (data generation, normalisation, 4 encryptions + 4 blind indexes per row,
// batched inserts with their audit events). The generator's vault reserves
// data-key uses 10,000 at a time, as `npm run seed:generate` does.
const SEED = "crypto-bench";
const SEED_BATCH = 2000;
const corpus = await seedCorpus(db, { employees: ROWS, seed: SEED, batch: SEED_BATCH });
const rotTenant = corpus.tenantIds[0];
const loadSeconds = corpus.seconds;
const seededPerSecond = corpus.summary.employees / loadSeconds;
const seedProjected = 1_000_000 / seededPerSecond;
console.log(`\n### Seeding throughput (scripts/generate-seed.ts, ${ROWS} employees × 4 fields, 1 tenant, batches of ${SEED_BATCH}, seed "${SEED}")\n`);
console.log("| measure | value | target |");
console.log("|---|---:|---:|");
console.log(`| employees seeded | ${corpus.summary.employees} | ${ROWS} |`);
console.log(`| seeding time | ${loadSeconds.toFixed(1)} s | |`);
console.log(`| employees per second | ${Math.round(seededPerSecond)} | |`);
console.log(`| fields encrypted per second | ${Math.round(seededPerSecond * 4)} | |`);
console.log(`| busy encrypting / busy inserting (overlapping) | ${corpus.summary.encrypt_seconds} s / ${corpus.summary.insert_seconds} s | |`);
console.log(`| projected for 1,000,000 employees | ${(seedProjected / 60).toFixed(1)} min | info |`);

// ---- 3. rotation throughput --------------------------------------------------
await sql`analyze public.employees`.execute(db);
const rotation = new KeyRotation(db, vault);
let result: Awaited<ReturnType<KeyRotation["rotateTenantDataKey"]>> | undefined;
const rotSeconds = await timed(async () => {
  result = await rotation.rotateTenantDataKey(rotTenant, { batchSize: 1000, destroyGraceMs: 0 });
});
const rowsPerSecond = ROWS / rotSeconds;
const projected = 1_000_000 / rowsPerSecond;
console.log(`\n### Data-key rotation (${ROWS} employees × 4 fields, batches of 1000)\n`);
console.log("| measure | value | target |");
console.log("|---|---:|---:|");
console.log(`| rows re-encrypted | ${result!.done} (${result!.status}) | ${ROWS} |`);
console.log(`| rotation time | ${rotSeconds.toFixed(1)} s | |`);
console.log(`| rows per second | ${Math.round(rowsPerSecond)} | |`);
console.log(`| fields per second | ${Math.round(rowsPerSecond * 4)} | |`);
console.log(`| projected for 1,000,000 employees | ${(projected / 60).toFixed(1)} min | < 10 min |`);
console.log(`| (loading the rows took) | ${loadSeconds.toFixed(1)} s | |`);
// Headline numbers for bench/results.md's summary table (scripts/bench.ts).
console.log(summaryLine([
  { measure: "field encryption: ours / bare WebCrypto throughput", value: `${ratio(t.oursEnc, t.bareEnc)}×`, target: "≥ 0.5×", met: t.bareEnc / t.oursEnc >= 0.5 },
  { measure: "field decryption: ours / bare WebCrypto throughput", value: `${ratio(t.oursDec, t.bareDec)}×`, target: "≥ 0.5×", met: t.bareDec / t.oursDec >= 0.5 },
  {
    measure: "seed generator through the real encryption path, projected for 1,000,000 employees",
    value: `${(seedProjected / 60).toFixed(1)} min (${Math.round(seededPerSecond)} employees/s on ${ROWS.toLocaleString("en")})`,
    target: "info",
    met: null,
  },
  { measure: "data-key rotation, projected for 1,000,000 employees", value: `${(projected / 60).toFixed(1)} min`, target: "< 10 min", met: projected < 600 && result!.status === "completed" },
]));
try {
  await corpus.drop();
} finally {
  await close();
}
if (result!.status !== "completed" || result!.done !== ROWS || corpus.summary.employees !== ROWS) Deno.exit(1);
