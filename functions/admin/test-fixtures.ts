// Test fixtures for the admin function (unit and integration tests only;
// never imported by the function). Everything is created with random names
// and ids through a superuser connection, so test files sharing one database
// never collide; PII is encrypted with the same vault the function uses.
import { sql } from "kysely";
import type { AnyDb } from "../_shared/crypto/data-keys.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { PII_FIELDS, type PiiField } from "../_shared/pii/fields.ts";

export type TenantRoleName = "owner" | "admin" | "hr_manager" | "employee";

export interface SeededEmployee {
  id: string;
  first_name: string;
  last_name: string;
  department: string;
  status: string;
  pii: Record<PiiField, string>;
}

export interface SeededTenant {
  tenantId: string;
  slug: string;
  users: Record<TenantRoleName, { id: string; email: string }>;
  employees: SeededEmployee[];
}

const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");
const letter = () => String.fromCharCode(65 + (crypto.getRandomValues(new Uint8Array(1))[0] % 26));

/** Random valid values (normalised form) for the four protected fields. */
export function randomPii(): Record<PiiField, string> {
  return {
    kra_pin: `A${digits(9)}${letter()}`,
    national_id: `${1 + (Number(digits(1)) % 9)}${digits(7)}`,
    phone: `+25471${digits(7)}`,
    bank_account: `${1 + (Number(digits(1)) % 9)}${digits(11)}`,
  };
}

export async function createUser(db: AnyDb, label = "user"): Promise<{ id: string; email: string }> {
  const id = crypto.randomUUID();
  const email = `${label}-${id.slice(0, 8)}@admin-test.kazi.example`;
  await sql`insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
    values (${id}, 'authenticated', 'authenticated', ${email}, now(), '{"provider":"email"}',
            ${JSON.stringify({ full_name: `${label} ${id.slice(0, 4)}` })}::jsonb)`.execute(db);
  return { id, email };
}

export async function makePlatformStaff(db: AnyDb, role: "platform_admin" | "platform_support") {
  const user = await createUser(db, role.replace("_", "-"));
  await sql`insert into public.platform_staff (user_id, role) values (${user.id}, ${role})`.execute(db);
  return user;
}

export async function addMember(db: AnyDb, tenantId: string, role: TenantRoleName, label: string = role) {
  const user = await createUser(db, label.replace("_", "-"));
  await sql`insert into public.memberships (tenant_id, user_id, role) values (${tenantId}, ${user.id}, ${role})`.execute(db);
  return user;
}

export async function addEmployee(
  db: AnyDb,
  vault: PiiVault,
  tenantId: string,
  o: { first_name?: string; last_name?: string; department?: string; status?: string; pii?: Partial<Record<PiiField, string>>; user_id?: string } = {},
): Promise<SeededEmployee> {
  const id = crypto.randomUUID();
  const pii = { ...randomPii(), ...o.pii };
  const cols: Record<string, Uint8Array> = {};
  for (const field of PII_FIELDS) {
    const e = await vault.encryptField({ tenantId, table: "employees", field, rowId: id, value: pii[field] });
    cols[`${field}_ciphertext`] = e.ciphertext;
    cols[`${field}_blind_index`] = e.blindIndex;
  }
  const emp = {
    id,
    first_name: o.first_name ?? `First${id.slice(0, 4)}`,
    last_name: o.last_name ?? `Last${id.slice(0, 6)}`,
    department: o.department ?? "Operations",
    status: o.status ?? "active",
  };
  await db.insertInto("public.employees").values({
    ...emp,
    tenant_id: tenantId,
    user_id: o.user_id ?? null,
    employee_number: `E-${id.slice(0, 8)}`,
    date_of_birth: "1990-04-01",
    ...cols,
  }).execute();
  return { ...emp, pii };
}

/** A tenant with one member per role and `employees` employees holding PII. */
export async function seedTenant(db: AnyDb, vault: PiiVault, employees = 2): Promise<SeededTenant> {
  const slug = `t-${crypto.randomUUID().slice(0, 12)}`;
  const { rows: [t] } = await sql<{ id: string }>`insert into public.tenants (name, slug)
    values (${"Tenant " + slug}, ${slug}) returning id`.execute(db);
  const users = {
    owner: await addMember(db, t.id, "owner"),
    admin: await addMember(db, t.id, "admin"),
    hr_manager: await addMember(db, t.id, "hr_manager"),
    employee: await addMember(db, t.id, "employee"),
  };
  const list: SeededEmployee[] = [];
  for (let i = 0; i < employees; i++) list.push(await addEmployee(db, vault, t.id));
  return { tenantId: t.id, slug, users, employees: list };
}

/** Audit events of a tenant (or the platform chain) matching action/actor, newest first. */
export async function auditEvents(
  db: AnyDb,
  where: { tenantId?: string | null; action: string; actorId?: string; resourceId?: string; outcome?: string },
) {
  const { rows } = await sql<{ id: string; action: string; outcome: string; actor_id: string | null; resource_id: string | null; details: Record<string, unknown>; ip_address: string | null; user_agent: string | null; request_id: string | null }>`
    select id::text, action, outcome, actor_id, resource_id, details, host(ip_address) as ip_address, user_agent, request_id
    from audit.events
    where action = ${where.action}
      and ${where.tenantId === undefined ? sql`true` : sql`tenant_id is not distinct from ${where.tenantId}::uuid`}
      and ${where.actorId ? sql`actor_id = ${where.actorId}::uuid` : sql`true`}
      and ${where.resourceId ? sql`resource_id = ${where.resourceId}` : sql`true`}
      and ${where.outcome ? sql`outcome = ${where.outcome}` : sql`true`}
    order by id desc`.execute(db);
  return rows;
}

/** Superuser database handle + a vault with the function's keys (from the environment). */
export async function openFixtures(dbUrl: string, env: Record<string, string | undefined>) {
  const { Kysely, PostgresDialect } = await import("kysely");
  const pg = (await import("pg")).default;
  const { loadCryptoConfig } = await import("../_shared/crypto/config.ts");
  const { PiiVault } = await import("../_shared/crypto/pii-vault.ts");
  const pool = new pg.Pool({ connectionString: dbUrl, max: 3, connectionTimeoutMillis: 3000 });
  pool.on("error", () => {});
  // deno-lint-ignore no-explicit-any
  const db: AnyDb = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  const vault = PiiVault.create(db, loadCryptoConfig(env));
  return { db, vault, close: () => db.destroy() };
}

export interface RouteIds {
  tenant: string;
  invitation: string;
  employee: string;
  member: string;
  job: string;
  pii: { national_id: string };
}

export interface RouteCase {
  name: string;
  method: string;
  path: (a: RouteIds) => string;
  body?: (a: RouteIds) => unknown;
}

// Every tenant-scoped route of the admin function, for table-driven tests
// (tests/integration/admin-openapi.test.ts checks the list is complete).
export const TENANT_ROUTES: RouteCase[] = [
  { name: "list members", method: "GET", path: (a) => `/tenants/${a.tenant}/members` },
  { name: "invite", method: "POST", path: (a) => `/tenants/${a.tenant}/invitations`, body: () => ({ email: `x-${crypto.randomUUID().slice(0, 6)}@evil.example`, role: "employee" }) },
  { name: "list invitations", method: "GET", path: (a) => `/tenants/${a.tenant}/invitations` },
  { name: "revoke invitation", method: "DELETE", path: (a) => `/tenants/${a.tenant}/invitations/${a.invitation}` },
  { name: "change role", method: "PATCH", path: (a) => `/tenants/${a.tenant}/members/${a.member}`, body: () => ({ role: "admin" }) },
  { name: "remove member", method: "DELETE", path: (a) => `/tenants/${a.tenant}/members/${a.member}` },
  { name: "list employees", method: "GET", path: (a) => `/tenants/${a.tenant}/employees` },
  { name: "lookup employee", method: "POST", path: (a) => `/tenants/${a.tenant}/employees/lookup`, body: (a) => ({ field: "national_id", value: a.pii.national_id }) },
  { name: "get employee", method: "GET", path: (a) => `/tenants/${a.tenant}/employees/${a.employee}` },
  { name: "soft-delete employee", method: "DELETE", path: (a) => `/tenants/${a.tenant}/employees/${a.employee}` },
  { name: "reveal", method: "POST", path: (a) => `/tenants/${a.tenant}/employees/${a.employee}/reveal`, body: () => ({ field: "kra_pin", reason: "cross tenant attempt" }) },
  { name: "erase PII", method: "POST", path: (a) => `/tenants/${a.tenant}/employees/${a.employee}/erase-pii`, body: () => ({ reason: "cross tenant attempt" }) },
  { name: "audit trail", method: "GET", path: (a) => `/tenants/${a.tenant}/audit-events` },
  { name: "start key rotation", method: "POST", path: (a) => `/tenants/${a.tenant}/key-rotations` },
  { name: "list key rotations", method: "GET", path: (a) => `/tenants/${a.tenant}/key-rotations` },
  { name: "follow key rotation", method: "GET", path: (a) => `/tenants/${a.tenant}/key-rotations/${a.job}` },
  { name: "offboard tenant", method: "POST", path: (a) => `/tenants/${a.tenant}/offboarding`, body: () => ({ confirm_slug: "guess", reason: "cross tenant attempt" }) },
];
