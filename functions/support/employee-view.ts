// Employees as a support agent sees them under an access grant: work fields
// and masked protected fields only (see _shared/pii-masking.ts); the support
// API has no reveal route.
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { z } from "@hono/zod-openapi";
import { maskRows } from "../_shared/pii-masking.ts";
import { iso } from "./schemas.ts";

export const MaskedPii = z.object({
  kra_pin: z.string().nullable(),
  national_id: z.string().nullable(),
  phone: z.string().nullable(),
  bank_account: z.string().nullable(),
}).openapi("SupportMaskedPii", { description: "Masked protected fields; null when empty or unavailable." });

export const SupportEmployee = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  employee_number: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  job_title: z.string().nullable(),
  department: z.string().nullable(),
  status: z.enum(["active", "on_leave", "suspended", "terminated"]),
  masked: MaskedPii,
  pii_unavailable: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi("SupportEmployee");
export type SupportEmployeeView = z.infer<typeof SupportEmployee>;

export const EMPLOYEE_COLUMNS = [
  "id",
  "tenant_id",
  "employee_number",
  "first_name",
  "last_name",
  "job_title",
  "department",
  "status",
  "kra_pin_ciphertext",
  "national_id_ciphertext",
  "phone_ciphertext",
  "bank_account_ciphertext",
  "created_at",
  "updated_at",
] as const;

export interface EmployeeRow {
  id: string;
  tenant_id: string;
  employee_number: string;
  first_name: string;
  last_name: string;
  job_title: string | null;
  department: string | null;
  status: string;
  kra_pin_ciphertext: Uint8Array | null;
  national_id_ciphertext: Uint8Array | null;
  phone_ciphertext: Uint8Array | null;
  bank_account_ciphertext: Uint8Array | null;
  created_at: Date;
  updated_at: Date;
}

/** A page of employees as support agents see them, masked in one vault call. */
export async function toMaskedViews(vault: PiiVault, rows: readonly EmployeeRow[]): Promise<SupportEmployeeView[]> {
  const masks = await maskRows(vault, rows.map((row) => ({ place: { tenantId: row.tenant_id, table: "employees", rowId: row.id }, row })));
  return rows.map((row, i) => ({
    id: row.id,
    tenant_id: row.tenant_id,
    employee_number: row.employee_number,
    first_name: row.first_name,
    last_name: row.last_name,
    job_title: row.job_title,
    department: row.department,
    status: row.status as SupportEmployeeView["status"],
    masked: masks[i].masked,
    pii_unavailable: masks[i].unavailable,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  }));
}
