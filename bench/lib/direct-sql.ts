// The "direct SQL" side of the API bench: the same statements the admin and
// onboarding functions send for one request, over a pool of the same size,
// as the same user with RLS (one transaction: role authenticated and
// request.jwt.claims set by set_config(..., true), as PostgREST and
// functions/_shared/db.ts do), with the same vault work in-process. What it
// leaves out is exactly the API's own cost: HTTP, JWT verification, zod,
// routing, Kysely, JSON rendering (and the reveal's rate-limit counter,
// reported separately).
import type pg from "pg";
import type { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { PII_FIELDS, type PiiField } from "../../functions/_shared/pii/fields.ts";

export type Claims = Record<string, unknown> & { sub: string };

const ACT_AS = `select set_config('role', 'authenticated', true),
  set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $5, true),
  set_config('request.headers', $2, true), set_config('request.method', $3, true), set_config('request.path', $4, true)`;

const EMPLOYEE_COLUMNS = `id, tenant_id, user_id, employee_number, first_name, last_name, other_names,
  date_of_birth::text as date_of_birth, job_title, department, employment_start_date::text as employment_start_date,
  status, bank_code, branch_code, kra_pin_ciphertext, national_id_ciphertext, phone_ciphertext,
  bank_account_ciphertext, created_at, updated_at, deleted_at`;

const CASE_COLUMNS = `c.id, c.tenant_id, c.subject_user_id, c.status, c.first_name, c.last_name, c.other_names,
  to_char(c.date_of_birth, 'YYYY-MM-DD') as date_of_birth, c.job_title, c.department,
  to_char(c.employment_start_date, 'YYYY-MM-DD') as employment_start_date, c.bank_code, c.branch_code,
  c.kra_pin_ciphertext, c.national_id_ciphertext, c.phone_ciphertext, c.bank_account_ciphertext,
  c.decision_reason, c.employee_id, c.submitted_at, c.decided_at, c.created_at, c.updated_at,
  to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key,
  to_char(c.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_key`;

type Row = Record<string, unknown>;

/** The act-as statement, as the functions send it, for a request of this method and path. */
function actAs(client: pg.PoolClient, claims: Claims, request: { method: string; path: string }): Promise<pg.QueryResult> {
  const headers = JSON.stringify({ "x-request-id": crypto.randomUUID() });
  return client.query(ACT_AS, [JSON.stringify(claims), headers, request.method, request.path, claims.sub]);
}

async function asUser<T>(
  pool: pg.Pool,
  claims: Claims,
  request: { method: string; path: string },
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    // one round trip for both, as functions/_shared/db.ts does (the pool pipelines)
    await Promise.all([client.query("begin"), actAs(client, claims, request)]);
    const out = await fn(client);
    await client.query("commit");
    return out;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** A one-statement transaction as the user in one round trip, as functions/_shared/db.ts oneStatementAsUser: its rows. */
async function oneStatementAsUser(
  pool: pg.Pool,
  claims: Claims,
  request: { method: string; path: string },
  text: string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  const client = await pool.connect();
  try {
    const steps = await Promise.allSettled([
      client.query("begin"),
      actAs(client, claims, request),
      client.query(text, params),
      client.query("commit"),
    ]);
    for (const step of steps) if (step.status === "rejected") throw step.reason;
    return (steps[2] as PromiseFulfilledResult<pg.QueryResult>).value.rows;
  } finally {
    client.release();
  }
}

async function requirePermission(client: pg.PoolClient, tenantId: string, permission: string): Promise<void> {
  const { rows: [r] } = await client.query("select private.has_permission($1::uuid, $2::text) as ok", [tenantId, permission]);
  if (r?.ok !== true) throw new Error(`missing permission ${permission}`);
}

/** Decrypts and masks the four fields of a row, as the API's views do. */
async function maskRow(vault: PiiVault, table: string, row: Row): Promise<number> {
  let n = 0;
  await Promise.all(PII_FIELDS.map(async (field) => {
    const ciphertext = row[`${field}_ciphertext`] as Uint8Array | null;
    if (!ciphertext) return;
    await vault.maskedField({ tenantId: row.tenant_id as string, table, field, rowId: row.id as string, ciphertext });
    n++;
  }));
  return n;
}

/** GET /admin/tenants/{t}/employees (first page of 50); with `mask`, also the masking the API does. */
const LIST_QUERY = `select ${EMPLOYEE_COLUMNS} from public.employees where tenant_id = $1 and deleted_at is null
  order by last_name, first_name, id limit $2`;

export async function listEmployees(pool: pg.Pool, vault: PiiVault, claims: Claims, tenantId: string, mask: boolean) {
  const rows = await asUser(pool, claims, { method: "GET", path: `/admin/tenants/${tenantId}/employees` }, async (c) => {
    await requirePermission(c, tenantId, "employees.read");
    const { rows } = await c.query(LIST_QUERY, [tenantId, 51]);
    return rows as Row[];
  });
  if (rows.length !== 51) throw new Error(`list returned ${rows.length} rows`);
  if (mask) await Promise.all(rows.slice(0, 50).map((r) => maskRow(vault, "employees", r)));
}

/** The list query's plan as the member, node by node ("Limit > Sort > Seq Scan on employees"). */
export async function listPlan(pool: pg.Pool, claims: Claims, tenantId: string): Promise<string> {
  return await asUser(pool, claims, { method: "GET", path: "explain" }, async (c) => {
    const { rows: [r] } = await c.query(`explain (format json, costs off) ${LIST_QUERY}`, [tenantId, 51]);
    const names: string[] = [];
    type Node = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Parent Relationship"?: string; Plans?: Node[] };
    const walk = (n: Node) => {
      if (n["Parent Relationship"] === "InitPlan") return; // the policy helpers, once per statement
      names.push(n["Node Type"] + (n["Index Name"] ? ` using ${n["Index Name"]}` : n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""));
      n.Plans?.forEach(walk);
    };
    walk((r["QUERY PLAN"] as { Plan: Node }[])[0].Plan);
    return names.join(" > ");
  });
}

// "<subject>/<case>" → tenant, as the onboarding function remembers it (a case never moves)
const caseTenants = new Map<string, string>();

/**
 * PUT /onboarding/me/cases/{id}/details: encrypt four fields (before taking a
 * connection once the case's tenant is known; the first time, after reading
 * the draft for it), then in one transaction update … returning; masks from
 * the values just sealed.
 */
export async function saveDetails(
  pool: pg.Pool,
  vault: PiiVault,
  claims: Claims,
  caseId: string,
  body: Record<string, string>,
) {
  const request = { method: "PUT", path: `/onboarding/me/cases/${caseId}/details` };
  const mine = `${claims.sub}/${caseId}`;
  // as the API: sealed in parallel, no blind index (cases are never looked up by value)
  const seal = (tenantId: string) =>
    Promise.all(PII_FIELDS.map((field) => vault.sealOnly({ tenantId, table: "onboarding_cases", field, rowId: caseId, value: body[field] })));
  // the guarded update, as the API writes it
  const update = (tenantId: string, sealed: { ciphertext: Uint8Array }[]): [string, unknown[]] => {
    const changes: [string, unknown][] = ["first_name", "last_name", "other_names", "date_of_birth", "bank_code", "branch_code"]
      .map((f) => [f, body[f]]);
    PII_FIELDS.forEach((field, i) => changes.push([`${field}_ciphertext`, sealed[i].ciphertext]));
    return [
      `update public.onboarding_cases as c set ${changes.map(([col], i) => `${col} = $${i + 4}`).join(", ")}
       where c.id = $1 and c.subject_user_id = $2 and c.tenant_id = $3 and c.status = 'draft' and c.deleted_at is null
       returning ${CASE_COLUMNS}`,
      [caseId, claims.sub, tenantId, ...changes.map(([, v]) => v)],
    ];
  };
  const known = caseTenants.get(mine);
  // as the API: once the case's tenant is known, the transaction is the update alone, in one round trip
  const saved = known
    ? (await oneStatementAsUser(pool, claims, request, ...update(known, await seal(known))))[0]
    : await asUser(pool, claims, request, async (c) => {
      const { rows: [current] } = await c.query(
        `select ${CASE_COLUMNS} from public.onboarding_cases as c
         where c.deleted_at is null and c.id = $1 and c.subject_user_id = $2`,
        [caseId, claims.sub],
      );
      if (!current) throw new Error("case not found");
      if (current.status !== "draft") throw new Error("not a draft");
      const tenantId = current.tenant_id as string;
      caseTenants.set(mine, tenantId);
      return (await c.query(...update(tenantId, await seal(tenantId)))).rows[0];
    });
  if (!saved) throw new Error("case changed meanwhile");
  await maskRow(vault, "onboarding_cases", saved);
}

/** POST /admin/tenants/{t}/employees/{id}/reveal: permission, read, decrypt, audit row in the same transaction. */
export async function revealField(
  pool: pg.Pool,
  vault: PiiVault,
  claims: Claims,
  tenantId: string,
  employeeId: string,
  field: PiiField,
  reason: string,
) {
  await asUser(pool, claims, { method: "POST", path: `/admin/tenants/${tenantId}/employees/${employeeId}/reveal` }, async (c) => {
    await requirePermission(c, tenantId, "pii.reveal");
    const { rows: [row] } = await c.query(
      `select ${EMPLOYEE_COLUMNS} from public.employees where tenant_id = $1 and id = $2 and deleted_at is null`,
      [tenantId, employeeId],
    );
    if (!row) throw new Error("employee not found");
    await vault.decryptField({ tenantId, table: "employees", field, rowId: employeeId, ciphertext: row[`${field}_ciphertext`] });
    // audit.record_event is service_role-only: switched for this statement, then back (as recordInTransaction does).
    const { rows: [prev] } = await c.query("select current_setting('role') as role");
    await c.query("select set_config('role', 'service_role', true)");
    await c.query(
      `select audit.record_event(action => 'pii.reveal', outcome => 'success', tenant_id => $1::uuid,
         resource_type => 'employee', resource_id => $2::text, details => $3::jsonb, actor_id => $4::uuid,
         actor_role => 'authenticated', ip_address => null, user_agent => null, request_id => $5::text) as id`,
      [tenantId, employeeId, JSON.stringify({ field, reason }), claims.sub, crypto.randomUUID()],
    );
    await c.query("select set_config('role', $1, true)", [prev.role]);
  });
}
