// Fixtures for the API bench, written by the superuser straight into a fresh
// bench database: one tenant with `employees` employees whose protected
// fields are real ciphertexts made by the PII vault (the functions' own code
// and keys), `admins` members allowed to list and reveal, and `hires` new
// hires each with a draft onboarding case. Triggers are off for the bulk load
// only (fixture rows are not what is measured); the measured requests run
// with every trigger on.
import type pg from "pg";
import type { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { PII_FIELDS, type PiiField } from "../../functions/_shared/pii/fields.ts";

export interface ApiFixture {
  tenantId: string;
  /** Members (owner first, then admins) with employees.read and pii.reveal. */
  admins: string[];
  /** A sample of employees spread over the tenant, for reveals: id and the i of kenyanPii(i). */
  employees: { id: string; index: number }[];
  hires: { userId: string; caseId: string }[];
}

const FIRST = ["Wanjiku", "Achieng", "Kipchoge", "Njeri", "Otieno", "Wambui", "Mutua", "Chebet", "Kamau", "Akinyi",
  "Mwangi", "Nyambura", "Ochieng", "Jepkosgei", "Kiprono", "Wairimu", "Omondi", "Muthoni", "Kibet", "Atieno"];
const LAST = ["Kamau", "Odhiambo", "Kiprotich", "Mwangi", "Onyango", "Njoroge", "Wekesa", "Cheruiyot", "Kariuki",
  "Ouma", "Mutiso", "Barasa", "Korir", "Gitau", "Wafula", "Nyaga", "Rotich", "Omollo", "Macharia", "Kilonzo"];
const DEPARTMENTS = ["Finance", "Operations", "Sales", "Engineering", "People", "Logistics", "Customer care"];

/** Valid, distinct-per-i values in the Kenyan formats (unique KRA PIN and national ID per tenant). */
export function kenyanPii(i: number): Record<PiiField, string> {
  return {
    kra_pin: `A${String(100000000 + i).slice(-9)}${String.fromCharCode(65 + (i % 26))}`,
    national_id: String(20000000 + i),
    phone: `+2547${String(10000000 + ((i * 7919) % 89999999)).slice(-8)}`,
    bank_account: String(1000000000 + i),
  };
}

async function insertRows(client: pg.PoolClient, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(", ")})`);
  await client.query(`insert into ${table} (${columns.join(", ")}) values ${tuples.join(", ")}`, params);
}

export async function createApiFixture(
  pool: pg.Pool,
  vault: PiiVault,
  size: { employees: number; admins: number; hires: number; batch?: number },
): Promise<ApiFixture> {
  const tenantId = crypto.randomUUID();
  const run = tenantId.slice(0, 8); // names unique per run, so a database can be reused while tuning
  const users = (n: number) => Array.from({ length: n }, () => crypto.randomUUID());
  const admins = users(size.admins);
  const hireUsers = users(size.hires);
  const client = await pool.connect();
  try {
    await client.query("set session_replication_role = replica");
    await client.query("insert into public.tenants (id, name, slug) values ($1, 'Bench Ltd', $2)", [tenantId, `bench-api-${run}`]);
    await insertRows(client, "auth.users", ["id", "email", "aud", "role"], [...admins, ...hireUsers].map((id, i) => [
      id, `user${i}.${run}@bench.test`, "authenticated", "authenticated",
    ]));
    await insertRows(client, "public.memberships", ["tenant_id", "user_id", "role"], [
      ...admins.map((id, i) => [tenantId, id, i === 0 ? "owner" : "admin"]),
      ...hireUsers.map((id) => [tenantId, id, "employee"]),
    ]);
    const hires = hireUsers.map((userId) => ({ userId, caseId: crypto.randomUUID() }));
    await insertRows(client, "public.onboarding_cases", ["id", "tenant_id", "subject_user_id", "status"],
      hires.map((h) => [h.caseId, tenantId, h.userId, "draft"]));

    // Employees in batches: encrypt a batch through the vault, then one insert.
    const batch = size.batch ?? 1000;
    const employees: { id: string; index: number }[] = [];
    const sampleEvery = Math.max(1, Math.floor(size.employees / 1000));
    for (let start = 0; start < size.employees; start += batch) {
      const rows = await Promise.all(Array.from({ length: Math.min(batch, size.employees - start) }, async (_, k) => {
        const i = start + k;
        const id = crypto.randomUUID();
        if (i % sampleEvery === 0) employees.push({ id, index: i });
        const pii = kenyanPii(i);
        const sealed = await Promise.all(PII_FIELDS.map((field) =>
          vault.encryptField({ tenantId, table: "employees", field, rowId: id, value: pii[field] })
        ));
        return [
          id, tenantId, `E-${String(i).padStart(6, "0")}`, FIRST[i % FIRST.length], LAST[(i * 7) % LAST.length],
          DEPARTMENTS[i % DEPARTMENTS.length], "01", "094",
          ...sealed.flatMap((s) => [s.ciphertext, s.blindIndex]),
        ];
      }));
      await insertRows(client, "public.employees", [
        "id", "tenant_id", "employee_number", "first_name", "last_name", "department", "bank_code", "branch_code",
        ...PII_FIELDS.flatMap((f) => [`${f}_ciphertext`, `${f}_blind_index`]),
      ], rows);
    }
    await client.query("set session_replication_role = origin");
    // the triggers that keep tenant access as rows were off for the load
    await client.query("select private.rebuild_tenant_access()");
    await client.query("vacuum analyze public.employees, public.memberships, public.onboarding_cases, private.tenant_access");
    return { tenantId, admins, employees, hires };
  } finally {
    client.release();
  }
}
