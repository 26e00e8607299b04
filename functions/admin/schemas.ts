// Request and response schemas shared by several admin routes.
import { z } from "@hono/zod-openapi";

export const TenantParams = z.object({
  tenantId: z.uuid("Invalid tenant id").openapi({ param: { name: "tenantId", in: "path" } }),
});

export const EmployeeParams = TenantParams.extend({
  employeeId: z.uuid("Invalid employee id").openapi({ param: { name: "employeeId", in: "path" } }),
});

export const MemberParams = TenantParams.extend({
  userId: z.uuid("Invalid user id").openapi({ param: { name: "userId", in: "path" } }),
});

export const TENANT_ROLES = ["owner", "admin", "hr_manager", "employee"] as const;
export const TenantRole = z.enum(TENANT_ROLES);

export const Reason = z.string().trim().min(5, "Give a reason of at least 5 characters").max(500);

export const MaskedPii = z.object({
  kra_pin: z.string().nullable(),
  national_id: z.string().nullable(),
  phone: z.string().nullable(),
  bank_account: z.string().nullable(),
}).openapi("MaskedPii", { description: "Masked protected fields; null when empty or unavailable." });

export const Employee = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  user_id: z.uuid().nullable(),
  employee_number: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  other_names: z.string().nullable(),
  date_of_birth: z.string().nullable().openapi({ example: "1990-04-01" }),
  job_title: z.string().nullable(),
  department: z.string().nullable(),
  employment_start_date: z.string().nullable(),
  status: z.enum(["active", "on_leave", "suspended", "terminated"]),
  bank_code: z.string().nullable(),
  branch_code: z.string().nullable(),
  masked: MaskedPii,
  pii_unavailable: z.array(z.string()).openapi({
    description: "Fields holding a value that cannot be decrypted (erased key or integrity failure).",
  }),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().nullable(),
}).openapi("Employee");
export type EmployeeView = z.infer<typeof Employee>;

export const EmployeePage = z.object({
  items: z.array(Employee),
  next_cursor: z.string().nullable(),
}).openapi("EmployeePage");

export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function body<S extends z.ZodType>(schema: S) {
  return { required: true, content: { "application/json": { schema } } };
}

export function iso(d: Date | string | null): string | null {
  if (d === null) return null;
  return d instanceof Date ? d.toISOString() : new Date(d).toISOString();
}

/** A LIKE pattern matching the text literally (%, _ and backslash escaped). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}
