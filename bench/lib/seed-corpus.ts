// An encrypted benchmark corpus made by the seed generator
// (scripts/generate-seed.ts, the same code as `npm run seed:generate`):
// realistic Kenyan employees, every protected field normalised, encrypted and
// blind-indexed through the real PII vault with the generator's own vault
// settings, inserted in its batches (encryption of one batch overlapping the
// insert of the previous one), audited like any write. Its wall time is the
// seeding throughput a bench reports.
import { sql } from "kysely";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import type { AnyDb } from "../../functions/_shared/crypto/data-keys.ts";
import { generateSeed, seedCryptoConfig, type SeedSummary } from "../../scripts/generate-seed.ts";

export interface SeedCorpus {
  /** The tenants made, in order (one unless asked otherwise). */
  tenantIds: string[];
  /** The generator's summary (employees, encrypt / insert busy seconds, …). */
  summary: SeedSummary;
  /** Wall time of the whole seeding, unrounded. */
  seconds: number;
  /** Deletes the corpus's tenants (their employees go by cascade), as test fixtures are. */
  drop(): Promise<void>;
}

export async function seedCorpus(
  db: AnyDb,
  options: { employees: number; tenants?: number; seed: string; batch?: number },
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<SeedCorpus> {
  const vault = PiiVault.create(db, seedCryptoConfig(env));
  const started = performance.now();
  const summary = await generateSeed(db, vault, { tenants: 1, ...options });
  const seconds = (performance.now() - started) / 1000;
  const tenantIds = summary.tenant_ids;
  return {
    tenantIds,
    summary,
    seconds,
    drop: async () => void (await sql`delete from public.tenants where id = any(${tenantIds}::uuid[])`.execute(db)),
  };
}
