// Employee rows as the admin API shows them: business fields plus masked
// protected fields (see _shared/pii-masking.ts).
import { sql } from "kysely";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import type { Trx } from "../_shared/db.ts";
import type { PiiField } from "../_shared/pii/fields.ts";
import { type MaskedRow, maskRows } from "../_shared/pii-masking.ts";
import type { EmployeeView } from "./schemas.ts";

export interface EmployeeRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  employee_number: string;
  first_name: string;
  last_name: string;
  other_names: string | null;
  date_of_birth: string | null;
  job_title: string | null;
  department: string | null;
  employment_start_date: string | null;
  status: string;
  bank_code: string | null;
  branch_code: string | null;
  kra_pin_ciphertext: Uint8Array | null;
  national_id_ciphertext: Uint8Array | null;
  phone_ciphertext: Uint8Array | null;
  bank_account_ciphertext: Uint8Array | null;
  /** ISO 8601 UTC with milliseconds, as Date.prototype.toISOString writes it (see isoText). */
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/**
 * A timestamptz as the API shows it, formatted by Postgres exactly as
 * `Date.prototype.toISOString()` would (UTC, milliseconds truncated, `Z`),
 * so a page of rows is not parsed into Dates only to be formatted again.
 */
function isoText(column: "created_at" | "updated_at" | "deleted_at") {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as(column);
}

/** The employees select with every column a view needs (dates and timestamps as ISO text). */
export function selectEmployees(trx: Trx) {
  return trx.selectFrom("employees").select([
    "id",
    "tenant_id",
    "user_id",
    "employee_number",
    "first_name",
    "last_name",
    "other_names",
    sql<string | null>`date_of_birth::text`.as("date_of_birth"),
    "job_title",
    "department",
    sql<string | null>`employment_start_date::text`.as("employment_start_date"),
    "status",
    "bank_code",
    "branch_code",
    "kra_pin_ciphertext",
    "national_id_ciphertext",
    "phone_ciphertext",
    "bank_account_ciphertext",
    isoText("created_at"),
    isoText("updated_at"),
    isoText("deleted_at"),
  ]);
}

export function ciphertextOf(row: EmployeeRow, field: PiiField): Uint8Array | null {
  return row[`${field}_ciphertext`];
}

export async function toView(vault: PiiVault, row: EmployeeRow): Promise<EmployeeView> {
  return (await toViews(vault, [row]))[0];
}

/** toView for a page, masked in one vault call. */
export async function toViews(vault: PiiVault, rows: readonly EmployeeRow[]): Promise<EmployeeView[]> {
  const masks = await maskRows(vault, rows.map((row) => ({ place: { tenantId: row.tenant_id, table: "employees", rowId: row.id }, row })));
  return rows.map((row, i) => viewOf(row, masks[i]));
}

function viewOf(row: EmployeeRow, { masked, unavailable }: MaskedRow): EmployeeView {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    user_id: row.user_id,
    employee_number: row.employee_number,
    first_name: row.first_name,
    last_name: row.last_name,
    other_names: row.other_names,
    date_of_birth: row.date_of_birth,
    job_title: row.job_title,
    department: row.department,
    employment_start_date: row.employment_start_date,
    status: row.status as EmployeeView["status"],
    bank_code: row.bank_code,
    branch_code: row.branch_code,
    masked,
    pii_unavailable: unavailable,
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
  };
}
