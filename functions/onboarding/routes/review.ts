// HR review of onboarding cases: list by status (masked PII, keyset
// pagination), read one with its history, approve (creates or updates the
// employee record) or reject, each with a mandatory reason. Permissions are
// decided by the database: private.has_permission(tenant, 'onboarding.read' |
// 'onboarding.review') and RLS; a refusal is audited.

import { createRoute, z } from "@hono/zod-openapi";
import { sql, type Updateable } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import { type RequestContext, requestContext } from "../../_shared/context.ts";
import { withUser } from "../../_shared/db.ts";
import type { Database } from "../../_shared/database-types.ts";
import { errors } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf } from "../../_shared/pagination.ts";
import { approveCase } from "../approval.ts";
import { hasPermission } from "../../_shared/caller.ts";
import { caseHistory, type CaseRow, requireCase, roleIn, selectCases, toView, toViews } from "../case-store.ts";
import { assertReviewer } from "../reviewer.ts";
import { auditingRefusals, Refused, type RouteDeps, router } from "../deps.ts";
import {
  ApproveBody,
  ApproveResult,
  CaseIdParams,
  CaseList,
  CaseView,
  ListCursor,
  ListQuery,
  RejectBody,
  ReturnBody,
} from "../schemas.ts";

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export function reviewRoutes(deps: RouteDeps) {
  const app = router();

  const list = createRoute({
    method: "get",
    path: "/cases",
    summary: "List a tenant's onboarding cases by status (PII masked, keyset pagination)",
    description:
      "Oldest first. Pass next_cursor back as cursor for the next page. Needs onboarding.read in the tenant.",
    request: { query: ListQuery },
    responses: { 200: json(CaseList, "A page of cases"), ...errorResponses(400, 401, 403, 500) },
  });
  app.openapi(list, async (c) => {
    const ctx = requestContext(c);
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, ListCursor) : undefined;
    const rows = await auditingRefusals(deps, ctx, () =>
      withUser(deps.db, ctx, async (trx) => {
        if (!(await hasPermission(trx, q.tenant_id, "onboarding.read"))) {
          throw new Refused({
            action: "onboarding.access_denied",
            tenantId: q.tenant_id,
            resourceType: "onboarding_case",
            details: { operation: "list", permission: "onboarding.read" },
          });
        }
        let query = selectCases(trx).where("c.tenant_id", "=", q.tenant_id);
        if (q.status) query = query.where("c.status", "=", q.status);
        if (after) {
          query = query.where(sql<boolean>`(c.created_at, c.id) > (${after.t}::timestamptz, ${after.id}::uuid)`);
        }
        return await query.orderBy("c.created_at").orderBy("c.id").limit(q.limit + 1).execute() as CaseRow[];
      }));
    const page = pageOf(rows, q.limit, (r) => ({ t: r.created_key, id: r.id }));
    const items = await toViews(deps.vault, page.items);
    return c.json({ items, next_cursor: page.next_cursor }, 200);
  });

  const getOne = createRoute({
    method: "get",
    path: "/cases/{caseId}",
    summary: "Read one onboarding case with its status history (PII masked)",
    request: { params: CaseIdParams },
    responses: { 200: json(CaseView, "The case"), ...errorResponses(400, 401, 404, 500) },
  });
  app.openapi(getOne, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const { row, history } = await withUser(deps.db, ctx, async (trx) => {
      const row = await requireCase(trx, caseId);
      if ((await roleIn(trx, row.tenant_id)) === null) {
        // Not a member: the row is visible through a platform support access grant. Every use is audited.
        await recordInTransaction(
          trx,
          eventFrom(ctx, {
            action: "support_grant.used",
            tenantId: row.tenant_id,
            resourceType: "onboarding_case",
            resourceId: row.id,
            details: { operation: "read_onboarding_case" },
          }),
        );
      }
      return { row, history: await caseHistory(trx, row) };
    });
    return c.json(await toView(deps.vault, row, history), 200);
  });

  const approve = createRoute({
    method: "post",
    path: "/cases/{caseId}/approve",
    summary: "Approve a submitted case: creates or updates the employee record",
    description:
      "Needs onboarding.review (and employees.write) in the tenant; nobody decides their own case. Protected values are decrypted from the case, re-encrypted bound to the employee row with blind indexes, and removed from the case. A KRA PIN or national ID already used by another employee of the tenant is a 409. Honours Idempotency-Key (the response holds masked values only).",
    middleware: [idempotent(deps.idempotency)] as const,
    request: {
      params: CaseIdParams,
      body: { required: true, content: { "application/json": { schema: ApproveBody } } },
    },
    responses: { 200: json(ApproveResult, "Approved"), ...errorResponses(400, 401, 403, 404, 409, 500) },
  });
  app.openapi(approve, async (c) => {
    const ctx = requestContext(c);
    const { caseId } = c.req.valid("param");
    const out = await approveCase(deps, ctx, caseId, c.req.valid("json"));
    return c.json({ case: await toView(deps.vault, out.row, out.history), employee: out.employee }, 200);
  });

  const reject = createRoute({
    method: "post",
    path: "/cases/{caseId}/reject",
    summary: "Reject a submitted case with a reason",
    description:
      "Needs onboarding.review in the tenant; nobody decides their own case. The case's protected values are removed (a rejected case is final).",
    request: {
      params: CaseIdParams,
      body: { required: true, content: { "application/json": { schema: RejectBody } } },
    },
    responses: { 200: json(CaseView, "Rejected"), ...errorResponses(400, 401, 403, 404, 409, 500) },
  });
  app.openapi(reject, async (c) => {
    const { caseId } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const { row, history } = await settleSubmitted(deps, requestContext(c), caseId, {
      operation: "reject",
      action: "onboarding_case.rejected",
      // a rejected case is final: its protected values go
      set: {
        status: "rejected",
        decision_reason: reason,
        kra_pin_ciphertext: null,
        national_id_ciphertext: null,
        phone_ciphertext: null,
        bank_account_ciphertext: null,
      },
    });
    return c.json(await toView(deps.vault, row, history), 200);
  });

  const giveBack = createRoute({
    method: "post",
    path: "/cases/{caseId}/return",
    summary: "Return a submitted case to the new hire for changes, with a reason",
    description:
      "Needs onboarding.review in the tenant; nobody decides their own case. The case becomes a draft again (its protected values are kept) and decision_reason tells the new hire what to change.",
    request: {
      params: CaseIdParams,
      body: { required: true, content: { "application/json": { schema: ReturnBody } } },
    },
    responses: { 200: json(CaseView, "Returned to draft"), ...errorResponses(400, 401, 403, 404, 409, 500) },
  });
  app.openapi(giveBack, async (c) => {
    const { caseId } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const { row, history } = await settleSubmitted(deps, requestContext(c), caseId, {
      operation: "return",
      action: "onboarding_case.returned",
      set: { status: "draft", decision_reason: reason },
    });
    return c.json(await toView(deps.vault, row, history), 200);
  });

  return app;
}

/**
 * Moves a submitted case on without an employee record (reject, return) as the
 * reviewer, audited in the same transaction; 409 when it is not (or no longer)
 * submitted.
 */
function settleSubmitted(
  deps: RouteDeps,
  ctx: RequestContext,
  caseId: string,
  step: { operation: "reject" | "return"; action: string; set: Updateable<Database["onboarding_cases"]> },
) {
  return auditingRefusals(deps, ctx, () =>
    withUser(deps.db, ctx, async (trx) => {
      const row = await requireCase(trx, caseId);
      await assertReviewer(ctx, trx, row, step.operation);
      if (row.status !== "submitted") {
        const verb = step.operation === "reject" ? "rejected" : "returned";
        throw errors.conflict(`Only a submitted case can be ${verb}.`, { status: row.status });
      }
      const done = await trx.updateTable("onboarding_cases").set(step.set)
        .where("id", "=", caseId).where("status", "=", "submitted").executeTakeFirst();
      if (done.numUpdatedRows === 0n) throw errors.conflict("The case was decided meanwhile.");
      await recordInTransaction(
        trx,
        eventFrom(ctx, {
          action: step.action,
          tenantId: row.tenant_id,
          resourceType: "onboarding_case",
          resourceId: row.id,
          details: {},
        }),
      );
      const saved = await requireCase(trx, caseId);
      return { row: saved, history: await caseHistory(trx, saved) };
    }));
}
