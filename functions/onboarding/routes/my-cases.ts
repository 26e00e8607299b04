// The new hire's own onboarding case: read it, save details as a draft,
// submit it for review, and see their own protected values (audited as a PII
// reveal by the data subject). Every route filters on subject_user_id = caller
// on top of RLS, so these routes never reach someone else's case.

import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import { requestContext } from "../../_shared/context.ts";
import { type Db, oneStatementAsUser, type Trx, withUser } from "../../_shared/db.ts";
import { BoundedMap } from "../../_shared/bounded-map.ts";
import type { PiiVault } from "../../_shared/crypto/pii-vault.ts";
import { errors } from "../../_shared/errors.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { PII_FIELDS, type PiiField } from "../../_shared/pii/fields.ts";
import { CASE_TABLE, caseColumns, caseHistory, type CaseRow, requireCase, revealFields, selectCases, toView, toViews } from "../case-store.ts";
import { NO_STORE, type RouteDeps, router } from "../deps.ts";
import { CaseIdParams, CaseView, RevealBody, RevealResult, SaveDetailsBody } from "../schemas.ts";

/** Fields a case must have before it can be submitted. */
export const REQUIRED_TO_SUBMIT = [
  "first_name",
  "last_name",
  "date_of_birth",
  "kra_pin",
  "national_id",
  "phone",
  "bank_code",
  "branch_code",
  "bank_account",
] as const;

const PLAIN_FIELDS = ["first_name", "last_name", "other_names", "date_of_birth", "bank_code", "branch_code"] as const;
const CASE_TENANTS_REMEMBERED = 10_000;

/** The columns a save sets: plain fields as given, protected ones sealed to the case row (null clears). */
export async function sealedChanges(
  vault: PiiVault,
  body: Partial<Record<(typeof PLAIN_FIELDS)[number] | PiiField, string | null>>,
  place: { tenantId: string; caseId: string },
): Promise<Record<string, unknown>> {
  const changes: Record<string, unknown> = {};
  for (const f of PLAIN_FIELDS) if (body[f] !== undefined) changes[f] = body[f];
  const sealed = await Promise.all(PII_FIELDS.map(async (field) => {
    const value = body[field];
    // no blind index: cases are never looked up by value (the employee row gets one on approval)
    return value == null
      ? value
      : (await vault.sealOnly({ tenantId: place.tenantId, table: CASE_TABLE, field, rowId: place.caseId, value })).ciphertext;
  }));
  // Set in field order, not in the order the encryptions finish: the update's
  // text (and so its prepared statement) is then one per set of fields sent.
  PII_FIELDS.forEach((field, i) => {
    if (sealed[i] !== undefined) changes[`${field}_ciphertext`] = sealed[i];
  });
  return changes;
}

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export function myCaseRoutes(deps: RouteDeps) {
  const app = router();
  // (subject, case) → the case's tenant, for cases their subject has read
  const caseTenants = new BoundedMap<string, string>(CASE_TENANTS_REMEMBERED);
  const mine = (subject: string, caseId: string) => `${subject}/${caseId}`;

  const listMine = createRoute({
    method: "get",
    path: "/me/cases",
    summary: "My onboarding cases (one per organisation that invited me), PII masked",
    responses: {
      200: json(z.object({ items: z.array(CaseView) }).openapi("MyCases"), "My cases"),
      ...errorResponses(401, 500),
    },
  });
  app.openapi(listMine, async (c) => {
    const ctx = requestContext(c);
    const rows = await withUser(
      deps.db,
      ctx,
      (trx) =>
        selectCases(trx).where("c.subject_user_id", "=", ctx.caller!.userId).orderBy("c.created_at").orderBy("c.id")
          .limit(100).execute(),
    );
    for (const row of rows) caseTenants.set(mine(ctx.caller!.userId, row.id), row.tenant_id);
    const items = await toViews(deps.vault, rows as CaseRow[]);
    return c.json({ items }, 200);
  });

  const getMine = createRoute({
    method: "get",
    path: "/me/cases/{caseId}",
    summary: "Read my onboarding case with its status history, PII masked",
    request: { params: CaseIdParams },
    responses: { 200: json(CaseView, "My case"), ...errorResponses(400, 401, 404, 500) },
  });
  app.openapi(getMine, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const { row, history } = await withUser(deps.db, ctx, async (trx) => {
      const row = await requireCase(trx, caseId, { subject: ctx.caller!.userId });
      caseTenants.set(mine(ctx.caller!.userId, caseId), row.tenant_id);
      return { row, history: await caseHistory(trx, row) };
    });
    return c.json(await toView(deps.vault, row, history), 200);
  });

  const saveDetails = createRoute({
    method: "put",
    path: "/me/cases/{caseId}/details",
    summary: "Save my details as a draft",
    description:
      "Partial update: omitted fields are unchanged, null clears a field. Invalid fields are reported one by one in error.details.fields and nothing is saved. Protected fields are encrypted, bound to the case row, and returned masked.",
    request: {
      params: CaseIdParams,
      body: { required: true, content: { "application/json": { schema: SaveDetailsBody } } },
    },
    responses: { 200: json(CaseView, "Saved"), ...errorResponses(400, 401, 404, 409, 500) },
  });
  app.openapi(saveDetails, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const body = c.req.valid("json");
    const me = ctx.caller!.userId;

    // Update only if the case is still my draft. No row lock: a concurrent
    // submit makes the guarded update match nothing, which is the same 409.
    // The ciphertexts are bound to the case's tenant; a case never moves to
    // another tenant (its trigger refuses), so once I have read it, its
    // tenant is remembered, the values are encrypted before a connection is
    // taken, and the transaction is the guarded update alone, which checks
    // the tenant again. The first save reads the case in its transaction; the
    // vault has a pool of its own, so waiting on it there cannot starve it.
    const key = mine(me, caseId);
    // my case, or 404; still a draft, or 409 with its status
    const myDraft = async (trx: Trx) => {
      const current = await requireCase(trx, caseId, { subject: me });
      if (current.status !== "draft") throw errors.conflict("Only a draft can be edited.", { status: current.status });
      return current;
    };
    // the update, applied only to my draft in that tenant: its row, or none
    const update = (q: Db, tenantId: string, changes: Record<string, unknown>) =>
      q.updateTable("onboarding_cases as c").set(changes)
        .where("c.id", "=", caseId).where("c.subject_user_id", "=", me).where("c.tenant_id", "=", tenantId)
        .where("c.status", "=", "draft").where("c.deleted_at", "is", null)
        .returning(caseColumns());
    // why not: gone or not mine (404), or no longer a draft (409)
    const whyNot = async (trx: Trx): Promise<never> => {
      caseTenants.delete(key);
      await myDraft(trx);
      throw errors.conflict("The case changed meanwhile; read it and try again.");
    };
    const known = caseTenants.get(key);
    if (known) {
      // The transaction is the update alone: one round trip. When it matched
      // nothing, it wrote nothing; a second transaction says why.
      const changes = await sealedChanges(deps.vault, body, { tenantId: known, caseId });
      const [updated] = await oneStatementAsUser(deps.db, ctx, update(deps.db, known, changes).compile());
      if (!updated) await withUser(deps.db, ctx, whyNot);
      return c.json(await toView(deps.vault, updated as CaseRow), 200);
    }
    const saved = await withUser(deps.db, ctx, async (trx) => {
      const tenantId = (await myDraft(trx)).tenant_id;
      caseTenants.set(key, tenantId);
      const changes = await sealedChanges(deps.vault, body, { tenantId, caseId });
      const updated = await update(trx, tenantId, changes).executeTakeFirst();
      return updated ? updated as CaseRow : await whyNot(trx);
    });
    return c.json(await toView(deps.vault, saved), 200);
  });

  const submit = createRoute({
    method: "post",
    path: "/me/cases/{caseId}/submit",
    summary: "Submit my draft for review",
    request: { params: CaseIdParams },
    responses: {
      200: json(CaseView, "Submitted"),
      ...errorResponses(400, 401, 404, 409, 422, 500),
    },
  });
  app.openapi(submit, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const me = ctx.caller!.userId;
    const { row, history } = await withUser(deps.db, ctx, async (trx) => {
      const row = await requireCase(trx, caseId, { subject: me });
      if (row.status !== "draft") throw errors.conflict("Only a draft can be submitted.", { status: row.status });
      const missing: Record<string, string> = {};
      for (const f of REQUIRED_TO_SUBMIT) {
        const present = (PII_FIELDS as readonly string[]).includes(f)
          ? row[`${f as PiiField}_ciphertext`] !== null
          : row[f as (typeof PLAIN_FIELDS)[number]] !== null;
        if (!present) missing[f] = "Required before submitting";
      }
      if (Object.keys(missing).length) {
        throw errors.businessRule("Some required details are missing.", { fields: missing });
      }
      const done = await trx.updateTable("onboarding_cases").set({ status: "submitted" })
        .where("id", "=", caseId).where("status", "=", "draft")
        .where(sql<boolean>`updated_at = ${row.updated_key}::timestamptz`).executeTakeFirst();
      if (done.numUpdatedRows === 0n) throw errors.conflict("The case changed meanwhile; read it and try again.");
      const saved = await requireCase(trx, caseId, { subject: me });
      return { row: saved, history: await caseHistory(trx, saved) };
    });
    return c.json(await toView(deps.vault, row, history), 200);
  });

  const reveal = createRoute({
    method: "post",
    path: "/me/cases/{caseId}/reveal",
    summary: "See my own protected values in plaintext (audited)",
    description:
      "Returns the plaintext of my own KRA PIN, national ID, phone and bank account as saved in my case. Each call is recorded in the audit trail as a PII reveal by the data subject. Never cached.",
    request: {
      params: CaseIdParams,
      body: { required: false, content: { "application/json": { schema: RevealBody } } },
    },
    responses: { 200: json(RevealResult, "Plaintext values"), ...errorResponses(400, 401, 404, 422, 500) },
  });
  app.openapi(reveal, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const fields = (c.req.valid("json")?.fields ?? [...PII_FIELDS]).filter((f, i, a) => a.indexOf(f) === i);
    const me = ctx.caller!.userId;
    const row = await withUser(deps.db, ctx, (trx) => requireCase(trx, caseId, { subject: me }));
    const attempt = {
      action: "onboarding_case.pii_revealed",
      tenantId: row.tenant_id,
      resourceType: "onboarding_case",
      resourceId: row.id,
    };
    let values: Awaited<ReturnType<typeof revealFields>>;
    try {
      values = await revealFields(deps.vault, row, fields);
    } catch (err) {
      // A value that cannot be decrypted (tampered, moved or shredded
      // ciphertext) is a security event: record the failed reveal, no detail,
      // and answer 422 business_rule as the admin reveal does.
      await deps.audit.record(eventFrom(ctx, { ...attempt, outcome: "error", details: { fields, refused: "unreadable" } }));
      throw err;
    }
    // The audit row commits before any plaintext leaves.
    await withUser(deps.db, ctx, (trx) =>
      recordInTransaction(
        trx,
        eventFrom(ctx, { ...attempt, details: { fields, revealed_to: "data_subject" } }),
      ));
    return c.json({ case_id: row.id, values }, 200, NO_STORE);
  });

  return app;
}
