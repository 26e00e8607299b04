// Fixtures for the onboarding integration tests: every test makes its own
// tenants, users and invitations (random names) in the shared test database,
// and drives the served onboarding function as those users.

import { sql } from "kysely";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { hashInvitationToken, newInvitationToken } from "../../functions/_shared/invitation-token.ts";
import { type AnyDb, createAuthUser } from "./_support/db.ts";
import { callFunction, type CallOptions, type CallResult } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown>; request_id: string | null };
}

export interface User {
  id: string;
  email: string;
  token: string;
}

export function onboarding<T = unknown>(path: string, o: CallOptions = {}): Promise<CallResult<T>> {
  return callFunction<T>("onboarding", path, o);
}

export async function createUser(db: AnyDb): Promise<User> {
  const u = await createAuthUser(db);
  return { ...u, token: await userToken(u.id, { email: u.email }) };
}

export async function createTenant(db: AnyDb): Promise<string> {
  const slug = `onb-${crypto.randomUUID().slice(0, 18)}`;
  const { rows } = await sql<{ id: string }>`insert into public.tenants (name, slug)
    values (${"Onboarding test " + slug}, ${slug}) returning id`.execute(db);
  return rows[0].id;
}

export async function addMember(db: AnyDb, tenantId: string, role: string, user?: User): Promise<User> {
  const u = user ?? await createUser(db);
  await sql`insert into public.memberships (tenant_id, user_id, role) values (${tenantId}, ${u.id}, ${role})`.execute(
    db,
  );
  return u;
}

export interface InvitationOptions {
  role?: string;
  expired?: boolean;
  revoked?: boolean;
}

/** An invitation as the admin API makes it: only sha256(token) is stored. Returns the token. */
export async function invite(db: AnyDb, tenantId: string, email: string, o: InvitationOptions = {}): Promise<string> {
  const token = newInvitationToken();
  const hash = await hashInvitationToken(token);
  const created = o.expired ? sql`now() - interval '8 days'` : sql`now()`;
  const expires = o.expired ? sql`now() - interval '1 day'` : sql`now() + interval '7 days'`;
  await sql`insert into public.invitations (tenant_id, email, role, token_hash, expires_at, created_at, revoked_at)
    values (${tenantId}, ${email}, ${o.role ?? "employee"}, ${hash}, ${expires}, ${created},
            ${o.revoked ? sql`now()` : sql`null`})`.execute(db);
  return token;
}

export interface CaseBody {
  id: string;
  tenant_id: string;
  status: string;
  pii: Record<string, string | null>;
  history?: { from_status: string | null; to_status: string; reason: string | null }[];
  [k: string]: unknown;
}

/** A user invited to the tenant who accepted: member with an onboarding case (draft). */
export async function newHire(db: AnyDb, tenantId: string, role = "employee"): Promise<{ user: User; caseId: string }> {
  const user = await createUser(db);
  const token = await invite(db, tenantId, user.email, { role });
  const res = await onboarding<{ case: CaseBody }>("/invitations/accept", { token: user.token, body: { token } });
  if (res.status !== 201) throw new Error(`accept failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { user, caseId: res.body.case.id };
}

let kra = 100000000 + Math.floor(Math.random() * 800000000);

/** Valid, unique-per-call details. */
export function details(over: Record<string, unknown> = {}) {
  kra += 1;
  return {
    first_name: "Wanjiku",
    last_name: "Kamau",
    other_names: "Njeri",
    date_of_birth: "1994-05-17",
    kra_pin: `a${kra}b`,
    national_id: String(10000000 + (kra % 89999999)),
    phone: "0712 345 678",
    bank_code: "01",
    branch_code: "094",
    bank_account: `01-${kra}`,
    ...over,
  };
}

/** A new hire whose case is filled and submitted. */
export async function submittedCase(db: AnyDb, tenantId: string, over: Record<string, unknown> = {}) {
  const hire = await newHire(db, tenantId);
  const body = details(over);
  const saved = await onboarding(`/me/cases/${hire.caseId}/details`, { method: "PUT", token: hire.user.token, body });
  if (saved.status !== 200) throw new Error(`save failed: ${saved.status} ${JSON.stringify(saved.body)}`);
  const sub = await onboarding(`/me/cases/${hire.caseId}/submit`, { method: "POST", token: hire.user.token });
  if (sub.status !== 200) throw new Error(`submit failed: ${sub.status} ${JSON.stringify(sub.body)}`);
  return { ...hire, details: body };
}

/** Audit events of one request (by request id). */
export async function auditByRequest(db: AnyDb, requestId: string) {
  const { rows } = await sql<{
    action: string;
    outcome: string;
    tenant_id: string | null;
    actor_id: string | null;
    resource_type: string | null;
    resource_id: string | null;
    ip_address: string | null;
    user_agent: string | null;
    details: Record<string, unknown>;
  }>`select action, outcome, tenant_id, actor_id, resource_type, resource_id, host(ip_address) as ip_address,
            user_agent, details
       from audit.events where request_id = ${requestId} order by id`.execute(db);
  return rows;
}

/** A vault with the served functions' secrets, to check what the function stored. */
export function testVault(db: AnyDb): PiiVault {
  return PiiVault.create(db, loadCryptoConfig(Deno.env.toObject()));
}

export function rid(label: string): string {
  return `onb-${label}-${crypto.randomUUID()}`;
}
