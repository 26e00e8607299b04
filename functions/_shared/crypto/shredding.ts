/**
 * Crypto-shredding and erasure.
 *
 * - `shredTenant`: offboarding. Destroys every data key of the tenant (wrapped
 *   bytes nulled, status `destroyed`); its ciphertexts become unreadable
 *   forever, while its rows and audit history stay. Irreversible by design.
 * - `erasePii`: one person's right to erasure. Clears the four ciphertexts and
 *   blind indexes of one row (an UPDATE, so it can run in the caller's
 *   user-scoped transaction and RLS decides whether it may).
 * Both are audited through the injected sink; the audit row names the fields,
 * never their values.
 */
import { sql } from "kysely";
import type { AuditSink } from "../audit.ts";
import { PII_FIELDS } from "../pii/fields.ts";
import type { AnyDb } from "./data-keys.ts";
import type { PiiVault } from "./pii-vault.ts";

export async function shredTenant(
  vault: PiiVault,
  tenantId: string,
  audit: AuditSink,
  actor: { actorId?: string | null; actorRole?: string | null; requestId?: string | null } = {},
): Promise<{ keysDestroyed: number }> {
  const keysDestroyed = await vault.keys.destroyTenant(tenantId);
  await audit.record({
    action: "pii.tenant_crypto_shredded", tenantId, resourceType: "tenant", resourceId: tenantId,
    details: { keys_destroyed: keysDestroyed }, ...actor,
  });
  return { keysDestroyed };
}

/** The erasure UPDATE for one row (`.compile()` shows its shape). Only tables with blind indexes clear them. */
export function erasePiiQuery(table: "employees" | "onboarding_cases", tenantId: string, rowId: string) {
  const cols = PII_FIELDS.flatMap((f) => table === "employees" ? [`${f}_ciphertext`, `${f}_blind_index`] : [`${f}_ciphertext`]);
  return sql<{ id: string }>`update ${sql.table(`public.${table}`)}
    set ${sql.join(cols.map((c) => sql`${sql.ref(c)} = null`))}
    where tenant_id = ${tenantId}::uuid and id = ${rowId}::uuid
    returning id`;
}

export async function erasePii(
  db: AnyDb,
  table: "employees" | "onboarding_cases",
  tenantId: string,
  rowId: string,
  audit: AuditSink,
  actor: { actorId?: string | null; actorRole?: string | null; requestId?: string | null } = {},
): Promise<boolean> {
  const { rows } = await erasePiiQuery(table, tenantId, rowId).execute(db);
  const erased = rows.length === 1;
  await audit.record({
    action: "pii.erased", tenantId, resourceType: table === "employees" ? "employee" : "onboarding_case",
    resourceId: rowId, outcome: erased ? "success" : "error", details: { fields: [...PII_FIELDS] }, ...actor,
  });
  return erased;
}
