// Two tenants for the attack suites: A (the victim: a member per role,
// employees with PII, a pending invitation, a submitted onboarding case with
// PII, a support ticket with an internal note, a requested support grant and a
// key-rotation job) and B (the attacker's own tenant), plus a platform support
// agent holding an active grant for B only. Everything has random names, so
// suites sharing the test database never collide. `markers` are values of A
// that must never appear in an answer to B; `snapshot` is every row of A, for
// "nothing changed" assertions.
import { sql } from "kysely";
import { openFixtures, type SeededTenant, seedTenant } from "../../../functions/admin/test-fixtures.ts";
import type { AnyDb } from "../../integration/_support/db.ts";
import { seedGrant, seedTicket } from "../../../functions/support/test-fixtures.ts";
import { submittedCase } from "../../integration/onboarding-fixtures.ts";
import { env } from "../../integration/_support/env.ts";
import { userToken } from "../../integration/_support/tokens.ts";

export interface VictimIds {
  tenantId: string;
  employeeId: string;
  memberId: string;
  invitationId: string;
  jobId: string;
  caseId: string;
  ticketId: string;
  grantId: string;
}

export interface World {
  db: AnyDb;
  vault: Awaited<ReturnType<typeof openFixtures>>["vault"];
  a: SeededTenant;
  b: SeededTenant;
  ids: VictimIds;
  /** B's own objects, for "A's id through B's path" attempts. */
  bIds: VictimIds;
  agent: { id: string; email: string };
  caseSubject: { id: string; token: string };
  markers: string[];
  /** The part of `markers` platform triage may show any agent by design: tenant slug and ticket subject. */
  triageMetadata: string[];
  tokens: { aOwner: string; bOwner: string; bEmployee: string; agent: string };
  close(): Promise<void>;
}

async function extras(db: AnyDb, t: SeededTenant, agentId: string) {
  const { rows: [job] } = await sql<{ id: string }>`insert into private.key_rotation_jobs
    (kind, tenant_id, target_version, status, finished_at)
    values ('data_key_reencrypt', ${t.tenantId}::uuid, 2, 'completed', now()) returning id`.execute(db);
  const { rows: [inv] } = await sql<{ id: string }>`insert into public.invitations (tenant_id, email, role, token_hash, expires_at)
    values (${t.tenantId}::uuid, ${`pending-${t.slug}@sec-test.kazi.example`}, 'employee',
            ${crypto.getRandomValues(new Uint8Array(32))}, now() + interval '7 days') returning id`.execute(db);
  const ticket = await seedTicket(db, t.tenantId, t.users.owner.id, { subject: `secret-subject-${crypto.randomUUID()}` });
  const grantId = await seedGrant(db, t.tenantId, agentId, "requested");
  return { jobId: job.id, invitationId: inv.id, ticket, grantId };
}

export async function buildWorld(): Promise<World> {
  const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
  const { db, vault } = f;
  const { rows: [agent] } = await sql<{ id: string; email: string }>`insert into auth.users
      (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
    values (gen_random_uuid(), 'authenticated', 'authenticated', ${`agent-${crypto.randomUUID().slice(0, 8)}@sec-test.kazi.example`},
            now(), '{"provider":"email"}', '{}') returning id, email`.execute(db);
  await sql`insert into public.platform_staff (user_id, role) values (${agent.id}, 'platform_support')`.execute(db);
  const a = await seedTenant(db, vault, 2);
  const b = await seedTenant(db, vault, 1);
  const ax = await extras(db, a, agent.id);
  const bx = await extras(db, b, agent.id);
  await seedGrant(db, b.tenantId, agent.id, "active", b.users.owner.id);
  const aCase = await submittedCase(db, a.tenantId);
  const bCase = await submittedCase(db, b.tenantId);
  const ids: VictimIds = {
    tenantId: a.tenantId, employeeId: a.employees[0].id, memberId: a.users.employee.id,
    invitationId: ax.invitationId, jobId: ax.jobId, caseId: aCase.caseId, ticketId: ax.ticket.id, grantId: ax.grantId,
  };
  const bIds: VictimIds = {
    tenantId: b.tenantId, employeeId: b.employees[0].id, memberId: b.users.employee.id,
    invitationId: bx.invitationId, jobId: bx.jobId, caseId: bCase.caseId, ticketId: bx.ticket.id, grantId: bx.grantId,
  };
  const markers = [
    a.slug, a.users.owner.email, a.users.employee.email, ax.ticket.internalNote,
    ...a.employees.flatMap((e) => [e.last_name, ...Object.values(e.pii)]),
    aCase.details.kra_pin.toUpperCase(), aCase.details.bank_account, aCase.details.national_id,
  ];
  // the ticket subject is random too; find it to add it
  const { rows: [t] } = await sql<{ subject: string }>`select subject from public.support_tickets where id = ${ax.ticket.id}::uuid`.execute(db);
  markers.push(t.subject);
  return {
    db, vault, a, b, ids, bIds, agent, markers, triageMetadata: [a.slug, t.subject],
    caseSubject: { id: aCase.user.id, token: aCase.user.token },
    tokens: {
      aOwner: await userToken(a.users.owner.id),
      bOwner: await userToken(b.users.owner.id),
      bEmployee: await userToken(b.users.employee.id),
      agent: await userToken(agent.id),
    },
    close: f.close,
  };
}

/** Every row the database holds for a tenant (public tables, data keys, rotation jobs), as one comparable text. */
export async function snapshotTenant(db: AnyDb, tenantId: string): Promise<string> {
  const { rows: tables } = await sql<{ table_name: string }>`select table_name from information_schema.columns
    where table_schema = 'public' and column_name = 'tenant_id' order by table_name`.execute(db);
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows: [r] } = await sql<{ t: string | null }>`select json_agg(x order by x.id)::text as t
      from ${sql.table(`public.${table_name}`)} x where x.tenant_id = ${tenantId}::uuid`.execute(db);
    parts.push(`${table_name}=${r.t}`);
  }
  const { rows: [r] } = await sql<{ t: string }>`select concat_ws('|',
      (select row_to_json(t)::text from public.tenants t where t.id = ${tenantId}::uuid),
      (select json_agg(k order by k.version)::text from private.tenant_data_keys k where k.tenant_id = ${tenantId}::uuid),
      (select json_agg(j order by j.id)::text from private.key_rotation_jobs j where j.tenant_id = ${tenantId}::uuid)) as t`
    .execute(db);
  parts.push(r.t);
  return parts.join("\n");
}

/** The values among `markers` that occur in `text`. */
export function disclosed(text: string, markers: readonly string[]): string[] {
  return markers.filter((m) => m && text.includes(m));
}
