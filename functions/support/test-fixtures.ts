// Test fixtures for the support function (unit and integration tests only;
// never imported by the function). Everything is created with random names
// and ids through a superuser connection, so test files sharing one database
// never collide; PII is encrypted with the same vault the function uses.
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { loadCryptoConfig } from "../_shared/crypto/config.ts";
import type { AnyDb } from "../_shared/crypto/data-keys.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { PII_FIELDS, type PiiField } from "../_shared/pii/fields.ts";

export type TenantRoleName = "owner" | "admin" | "hr_manager" | "employee";
export interface User {
  id: string;
  email: string;
}

export interface SeededTenant {
  tenantId: string;
  name: string;
  users: Record<TenantRoleName, User>;
  employees: { id: string; last_name: string; pii: Record<PiiField, string> }[];
}

const digits = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => String(b % 10)).join("");

export function randomPii(): Record<PiiField, string> {
  return {
    kra_pin: `A${digits(9)}Q`,
    national_id: `${1 + (Number(digits(1)) % 9)}${digits(7)}`,
    phone: `+25471${digits(7)}`,
    bank_account: `${1 + (Number(digits(1)) % 9)}${digits(11)}`,
  };
}

export async function createUser(db: AnyDb, label = "user"): Promise<User> {
  const id = crypto.randomUUID();
  const email = `${label}-${id.slice(0, 8)}@support-test.kazi.example`;
  await sql`insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
    values (${id}, 'authenticated', 'authenticated', ${email}, now(), '{"provider":"email"}', '{}')`.execute(db);
  return { id, email };
}

export async function makeAgent(db: AnyDb, role: "platform_support" | "platform_admin" = "platform_support") {
  const user = await createUser(db, role.replace("_", "-"));
  await sql`insert into public.platform_staff (user_id, role) values (${user.id}, ${role})`.execute(db);
  return user;
}

export async function addMember(db: AnyDb, tenantId: string, role: TenantRoleName): Promise<User> {
  const user = await createUser(db, role.replace("_", "-"));
  await sql`insert into public.memberships (tenant_id, user_id, role) values (${tenantId}, ${user.id}, ${role})`.execute(db);
  return user;
}

/** A tenant with one member per role and `employees` employees holding encrypted PII. */
export async function seedTenant(db: AnyDb, vault: PiiVault, employees = 1): Promise<SeededTenant> {
  const slug = `s-${crypto.randomUUID().slice(0, 12)}`;
  const name = `Support tenant ${slug}`;
  const { rows: [t] } = await sql<{ id: string }>`insert into public.tenants (name, slug)
    values (${name}, ${slug}) returning id`.execute(db);
  const users = {
    owner: await addMember(db, t.id, "owner"),
    admin: await addMember(db, t.id, "admin"),
    hr_manager: await addMember(db, t.id, "hr_manager"),
    employee: await addMember(db, t.id, "employee"),
  };
  const list: SeededTenant["employees"] = [];
  for (let i = 0; i < employees; i++) {
    const id = crypto.randomUUID();
    const pii = randomPii();
    const cols: Record<string, Uint8Array> = {};
    for (const field of PII_FIELDS) {
      const e = await vault.encryptField({ tenantId: t.id, table: "employees", field, rowId: id, value: pii[field] });
      cols[`${field}_ciphertext`] = e.ciphertext;
      cols[`${field}_blind_index`] = e.blindIndex;
    }
    const last_name = `Last${i}${id.slice(0, 6)}`;
    await db.insertInto("public.employees").values({
      id,
      tenant_id: t.id,
      employee_number: `E-${id.slice(0, 8)}`,
      first_name: `First${id.slice(0, 4)}`,
      last_name,
      department: "Operations",
      ...cols,
    }).execute();
    list.push({ id, last_name, pii });
  }
  return { tenantId: t.id, name, users, employees: list };
}

/** A ticket with one public message and one internal note, made directly in the database. */
export async function seedTicket(db: AnyDb, tenantId: string, openedBy: string, o: { status?: string; subject?: string } = {}) {
  const { rows: [t] } = await sql<{ id: string }>`insert into public.support_tickets (tenant_id, opened_by, subject, status)
    values (${tenantId}, ${openedBy}, ${o.subject ?? `Seeded ticket ${crypto.randomUUID().slice(0, 6)}`}, ${o.status ?? "open"})
    returning id`.execute(db);
  const secret = `internal-note-${crypto.randomUUID()}`;
  await sql`insert into public.support_ticket_messages (tenant_id, ticket_id, author_id, body, is_internal) values
    (${tenantId}, ${t.id}, ${openedBy}, 'Please help with payroll', false),
    (${tenantId}, ${t.id}, null, ${secret}, true)`.execute(db);
  return { id: t.id, internalNote: secret };
}

/** An access grant in a given state, made directly in the database (superuser: no workflow trigger limits). */
export async function seedGrant(
  db: AnyDb,
  tenantId: string,
  agentId: string,
  state: "requested" | "active" | "expired" | "revoked" | "denied",
  decidedBy: string | null = null,
): Promise<string> {
  const status = state === "requested" ? "requested" : state === "denied" ? "denied" : "approved";
  const decided = status === "requested" ? sql`null` : sql`now() - interval '1 minute'`;
  const expires = state === "expired" ? sql`now() - interval '1 minute'` : sql`now() + interval '2 hours'`;
  const { rows: [g] } = await sql<{ id: string }>`insert into public.support_access_grants
    (tenant_id, support_user_id, reason, status, requested_at, decided_by, decided_at, expires_at, revoked_at)
    values (${tenantId}, ${agentId}, 'Seeded for a support test', ${status}, now() - interval '2 hours',
            ${status === "requested" ? null : decidedBy}, ${decided}, ${expires},
            ${state === "revoked" ? sql`now()` : sql`null`})
    returning id`.execute(db);
  return g.id;
}

export interface AuditRow {
  id: string;
  action: string;
  outcome: string;
  tenant_id: string | null;
  actor_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  details: Record<string, unknown>;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
}

/** Audit events matching action/actor (and optionally tenant/resource/outcome), newest first. */
export async function auditEvents(
  db: AnyDb,
  where: { action: string; actorId?: string; tenantId?: string; resourceId?: string; outcome?: string },
): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`
    select id::text, action, outcome, tenant_id, actor_id, resource_type, resource_id, details,
           host(ip_address) as ip_address, user_agent, request_id
    from audit.events
    where action = ${where.action}
      and ${where.actorId ? sql`actor_id = ${where.actorId}::uuid` : sql`true`}
      and ${where.tenantId ? sql`tenant_id = ${where.tenantId}::uuid` : sql`true`}
      and ${where.resourceId ? sql`resource_id = ${where.resourceId}` : sql`true`}
      and ${where.outcome ? sql`outcome = ${where.outcome}` : sql`true`}
    order by id desc`.execute(db);
  return rows;
}

/** Superuser database handle + a vault with the function's keys (from the environment). */
export function openFixtures(dbUrl: string, env: Record<string, string | undefined>) {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 3, connectionTimeoutMillis: 3000 });
  pool.on("error", () => {});
  // deno-lint-ignore no-explicit-any
  const db: AnyDb = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  const vault = PiiVault.create(db, loadCryptoConfig(env));
  return { db, vault, close: () => db.destroy() };
}

export interface Ids {
  tenant: string;
  ticket: string;
  grant: string;
}

export interface RouteCase {
  name: string;
  method: string;
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
}

// Every tenant-side route of the support function (a tenant member's routes).
export const TENANT_ROUTES: RouteCase[] = [
  { name: "list tickets", method: "GET", path: (i) => `/tenants/${i.tenant}/tickets` },
  { name: "open ticket", method: "POST", path: (i) => `/tenants/${i.tenant}/tickets`, body: () => ({ subject: "x", body: "cross-tenant attempt" }) },
  { name: "read ticket", method: "GET", path: (i) => `/tenants/${i.tenant}/tickets/${i.ticket}` },
  { name: "reply", method: "POST", path: (i) => `/tenants/${i.tenant}/tickets/${i.ticket}/messages`, body: () => ({ body: "cross-tenant reply" }) },
  { name: "list access grants", method: "GET", path: (i) => `/tenants/${i.tenant}/access-grants` },
  { name: "approve grant", method: "POST", path: (i) => `/tenants/${i.tenant}/access-grants/${i.grant}/approve` },
  { name: "deny grant", method: "POST", path: (i) => `/tenants/${i.tenant}/access-grants/${i.grant}/deny` },
  { name: "revoke grant", method: "POST", path: (i) => `/tenants/${i.tenant}/access-grants/${i.grant}/revoke` },
];

// Every agent route that touches a tenant's data (each needs an active grant for that tenant).
export const AGENT_DATA_ROUTES: RouteCase[] = [
  { name: "agent reads ticket", method: "GET", path: (i) => `/agent/tickets/${i.ticket}` },
  { name: "agent replies", method: "POST", path: (i) => `/agent/tickets/${i.ticket}/messages`, body: () => ({ body: "cross-tenant reply" }) },
  { name: "agent adds internal note", method: "POST", path: (i) => `/agent/tickets/${i.ticket}/messages`, body: () => ({ body: "note", internal: true }) },
  { name: "agent changes status", method: "PATCH", path: (i) => `/agent/tickets/${i.ticket}`, body: () => ({ status: "resolved" }) },
  { name: "agent lists employees", method: "GET", path: (i) => `/agent/tenants/${i.tenant}/employees` },
];

// Agent routes that need no grant (triage and their own grants); listed so the
// OpenAPI test can check every route is covered by some table.
export const AGENT_OTHER_ROUTES: RouteCase[] = [
  { name: "queue", method: "GET", path: () => `/agent/tickets` },
  { name: "assign", method: "POST", path: (i) => `/agent/tickets/${i.ticket}/assign`, body: () => ({ assignee_id: null }) },
  { name: "request access", method: "POST", path: () => `/agent/access-grants`, body: (i) => ({ tenant_id: i.tenant, reason: "Investigating ticket", duration_hours: 1 }) },
  { name: "my grants", method: "GET", path: () => `/agent/access-grants` },
  { name: "give up grant", method: "POST", path: (i) => `/agent/access-grants/${i.grant}/revoke` },
];


export type AnyDbOf = AnyDb;
