// Reading onboarding cases and turning rows into API views. Every query runs
// inside the caller's transaction (withUser), so RLS decides which rows exist.
// Protected fields leave this module masked; plaintext only via revealFields.

import { sql } from "kysely";
import type { Trx } from "../_shared/db.ts";
import { isCryptoError } from "../_shared/crypto/errors.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { errors } from "../_shared/errors.ts";
import type { PiiField } from "../_shared/pii/fields.ts";
import { maskRows } from "../_shared/pii-masking.ts";
import type { CaseStatus, CaseViewT } from "./schemas.ts";

export const CASE_TABLE = "onboarding_cases";
export const UNAVAILABLE = "[unavailable]";

export interface CaseRow {
  id: string;
  tenant_id: string;
  subject_user_id: string | null;
  status: CaseStatus;
  first_name: string | null;
  last_name: string | null;
  other_names: string | null;
  date_of_birth: string | null;
  job_title: string | null;
  department: string | null;
  employment_start_date: string | null;
  bank_code: string | null;
  branch_code: string | null;
  kra_pin_ciphertext: Uint8Array | null;
  national_id_ciphertext: Uint8Array | null;
  phone_ciphertext: Uint8Array | null;
  bank_account_ciphertext: Uint8Array | null;
  decision_reason: string | null;
  employee_id: string | null;
  submitted_at: Date | null;
  decided_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** created_at with microseconds, for keyset cursors and optimistic checks. */
  created_key: string;
  updated_key: string;
}

const US_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

/** Select list of a case row (dates as YYYY-MM-DD text, exact timestamps as text keys). */
export function caseColumns() {
  return [
    "c.id",
    "c.tenant_id",
    "c.subject_user_id",
    "c.status",
    "c.first_name",
    "c.last_name",
    "c.other_names",
    sql<string | null>`to_char(c.date_of_birth, 'YYYY-MM-DD')`.as("date_of_birth"),
    "c.job_title",
    "c.department",
    sql<string | null>`to_char(c.employment_start_date, 'YYYY-MM-DD')`.as("employment_start_date"),
    "c.bank_code",
    "c.branch_code",
    "c.kra_pin_ciphertext",
    "c.national_id_ciphertext",
    "c.phone_ciphertext",
    "c.bank_account_ciphertext",
    "c.decision_reason",
    "c.employee_id",
    "c.submitted_at",
    "c.decided_at",
    "c.created_at",
    "c.updated_at",
    sql<string>`to_char(c.created_at at time zone 'UTC', ${sql.lit(US_UTC)})`.as("created_key"),
    sql<string>`to_char(c.updated_at at time zone 'UTC', ${sql.lit(US_UTC)})`.as("updated_key"),
  ] as const;
}

export function selectCases(trx: Trx) {
  return trx.selectFrom("onboarding_cases as c").select(caseColumns()).where("c.deleted_at", "is", null);
}

/** One case the caller can see (RLS), optionally only if they are its subject. */
export async function findCase(
  trx: Trx,
  caseId: string,
  opts: { subject?: string; forUpdate?: boolean } = {},
): Promise<CaseRow | undefined> {
  let q = selectCases(trx).where("c.id", "=", caseId);
  if (opts.subject) q = q.where("c.subject_user_id", "=", opts.subject);
  if (opts.forUpdate) q = q.forUpdate();
  return (await q.executeTakeFirst()) as CaseRow | undefined;
}

export async function requireCase(
  trx: Trx,
  caseId: string,
  opts: { subject?: string; forUpdate?: boolean } = {},
): Promise<CaseRow> {
  const row = await findCase(trx, caseId, opts);
  if (!row) throw errors.notFound("onboarding case");
  return row;
}

export async function caseHistory(trx: Trx, row: Pick<CaseRow, "id" | "tenant_id">) {
  const rows = await trx
    .selectFrom("onboarding_case_status_history as h")
    .select(["h.from_status", "h.to_status", "h.reason", "h.changed_by", "h.created_at"])
    .where("h.tenant_id", "=", row.tenant_id)
    .where("h.case_id", "=", row.id)
    .orderBy("h.created_at")
    .orderBy("h.id")
    .execute();
  return rows.map((h) => ({
    from_status: h.from_status as CaseStatus | null,
    to_status: h.to_status as CaseStatus,
    reason: h.reason,
    changed_by: h.changed_by,
    changed_at: new Date(h.created_at).toISOString(),
  }));
}

export function ciphertextOf(row: CaseRow, field: PiiField): Uint8Array | null {
  return row[`${field}_ciphertext`];
}

/** Masked protected fields of each case (one vault call); an unreadable value (tampered, or its key shredded) shows as UNAVAILABLE. */
async function maskedPii(vault: PiiVault, rows: readonly CaseRow[]): Promise<CaseViewT["pii"][]> {
  const masks = await maskRows(vault, rows.map((row) => ({ place: { tenantId: row.tenant_id, table: CASE_TABLE, rowId: row.id }, row })));
  return masks.map(({ masked, unavailable }) => {
    for (const field of unavailable) masked[field] = UNAVAILABLE;
    return masked;
  });
}

/** Plaintext of the requested fields (null when not set). Crypto failures become API errors. */
export async function revealFields(
  vault: PiiVault,
  row: CaseRow,
  fields: readonly PiiField[],
): Promise<Partial<Record<PiiField, string | null>>> {
  const out: Partial<Record<PiiField, string | null>> = {};
  for (const field of fields) {
    const ciphertext = ciphertextOf(row, field);
    const ref = { tenantId: row.tenant_id, table: CASE_TABLE, field, rowId: row.id };
    out[field] = ciphertext ? await decryptOrThrow(vault, { ...ref, ciphertext }, { reveal: true }) : null;
  }
  return out;
}

/**
 * One protected value of a case in plaintext. An erased data key is a
 * business rule (422). So is a ciphertext that fails its integrity check
 * (tampered, moved from another row or column): for a reveal, the admin
 * reveal's answer; for an approval, the case cannot become an employee until
 * the subject enters the value again. Neither says more than the field.
 */
export async function decryptOrThrow(
  vault: PiiVault,
  ref: Parameters<PiiVault["decryptField"]>[0],
  opts: { reveal?: boolean } = {},
): Promise<string> {
  try {
    return await vault.decryptField(ref);
  } catch (err) {
    if (isCryptoError(err) && err.code === "key_unavailable") {
      throw errors.businessRule("This value has been erased and can no longer be read.", { field: ref.field });
    }
    if (isCryptoError(err) && err.code === "integrity_error") {
      throw opts.reveal
        ? errors.businessRule("This value cannot be revealed.", { field: ref.field })
        : errors.businessRule("A protected value of this case cannot be read; return it for changes.", { field: ref.field });
    }
    // anything else: a 500 without detail
    throw errors.internal({ cause: isCryptoError(err) ? err.code : "decrypt_failed" });
  }
}

export async function toView(vault: PiiVault, row: CaseRow, history?: CaseViewT["history"]): Promise<CaseViewT> {
  const [pii] = await maskedPii(vault, [row]);
  return caseView(row, pii, history);
}

/** toView for a page of cases, masked in one vault call. */
export async function toViews(vault: PiiVault, rows: readonly CaseRow[]): Promise<CaseViewT[]> {
  const pii = await maskedPii(vault, rows);
  return rows.map((row, i) => caseView(row, pii[i]));
}

function caseView(row: CaseRow, pii: CaseViewT["pii"], history?: CaseViewT["history"]): CaseViewT {
  const view: CaseViewT = {
    id: row.id,
    tenant_id: row.tenant_id,
    subject_user_id: row.subject_user_id,
    status: row.status,
    first_name: row.first_name,
    last_name: row.last_name,
    other_names: row.other_names,
    date_of_birth: row.date_of_birth,
    job_title: row.job_title,
    department: row.department,
    employment_start_date: row.employment_start_date,
    bank_code: row.bank_code,
    branch_code: row.branch_code,
    pii,
    decision_reason: row.decision_reason,
    employee_id: row.employee_id,
    submitted_at: iso(row.submitted_at),
    decided_at: iso(row.decided_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
  if (history) view.history = history;
  return view;
}

function iso(d: Date | string | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}

/** The caller's role in the tenant (private.my_role_in), null when not a member. */
export async function roleIn(trx: Trx, tenantId: string): Promise<string | null> {
  const { rows } = await sql<{ role: string | null }>`select private.my_role_in(${tenantId}::uuid) as role`.execute(
    trx,
  );
  return rows[0]?.role ?? null;
}
