// The direct-SQL side's requests (bench/lib/direct-sql.ts), one function per
// API scenario, and the request data both sides rotate over, so the i-th
// direct request does the work of the i-th HTTP request.
import type pg from "pg";
import type { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { PII_FIELDS } from "../../functions/_shared/pii/fields.ts";
import { kenyanPii } from "./api-fixtures.ts";
import { type Claims, listEmployees, revealField, saveDetails } from "./direct-sql.ts";

/** What the requests rotate over: plain data, so it can be posted to a worker. */
export interface ScenarioData {
  tenantId: string;
  admins: { claims: Claims }[];
  hires: { claims: Claims; caseId: string }[];
  employees: { id: string }[];
}

export const SCENARIOS = ["list", "list+mask", "save", "reveal"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const REVEAL_REASON = "Payroll reconciliation for the bench";

/** The body of the i-th save: valid, and different from the last one. */
export function detailsOf(i: number): Record<string, string> {
  const pii = kenyanPii(5_000_000 + i);
  return {
    first_name: "Wanjiku", last_name: "Kamau", other_names: "Njeri", date_of_birth: "1994-05-17",
    kra_pin: pii.kra_pin, national_id: pii.national_id, phone: pii.phone,
    bank_code: "01", branch_code: "094", bank_account: pii.bank_account,
  };
}

export function directOps(pool: pg.Pool, vault: PiiVault, d: ScenarioData): Record<ScenarioName, (i: number) => Promise<void>> {
  const admin = (i: number) => d.admins[i % d.admins.length].claims;
  return {
    "list": (i) => listEmployees(pool, vault, admin(i), d.tenantId, false),
    "list+mask": (i) => listEmployees(pool, vault, admin(i), d.tenantId, true),
    "save": (i) => {
      const h = d.hires[i % d.hires.length];
      return saveDetails(pool, vault, h.claims, h.caseId, detailsOf(i));
    },
    "reveal": (i) =>
      revealField(pool, vault, admin(i), d.tenantId, d.employees[i % d.employees.length].id, PII_FIELDS[i % 4], REVEAL_REASON),
  };
}
