// Tenant approvers (permission support_access.approve: owners and admins):
// see who asked for access to their tenant, approve or deny a pending
// request, and revoke a request or an active grant at any time. The database
// stamps who decided and when, forbids a grantee deciding their own request,
// and never lets a grant be extended or un-revoked.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { errors } from "../../_shared/errors.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { SupportDeps } from "../deps.ts";
import { listGrants, selectGrants } from "../grant-queries.ts";
import { asCaller, requirePermission } from "../../_shared/caller.ts";
import {
  AccessGrant,
  AccessGrantList,
  GRANT_STATES,
  type GrantRow,
  grantState,
  grantView,
  json,
  TenantGrantParams,
  TenantParams,
} from "../schemas.ts";

export const ListQuery = z.object({ state: z.enum(GRANT_STATES).optional() });

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/access-grants",
  summary: "Support access requests and grants for the tenant, newest first",
  request: { params: TenantParams, query: ListQuery },
  responses: { 200: json(AccessGrantList, "Grants"), ...errorResponses(400, 401, 403) },
});

type Decision = "approve" | "deny" | "revoke";

function decisionRoute(decision: Decision) {
  const summary = {
    approve: "Approve a pending support access request",
    deny: "Deny a pending support access request",
    revoke: "Revoke a pending request or an active grant",
  }[decision];
  return createRoute({
    method: "post",
    path: `/tenants/{tenantId}/access-grants/{grantId}/${decision}`,
    summary,
    request: { params: TenantGrantParams },
    responses: { 200: json(AccessGrant, "The grant after the decision"), ...errorResponses(400, 401, 403, 404, 409) },
  });
}

const ACTION: Record<Decision, string> = {
  approve: "support.grant_approved",
  deny: "support.grant_denied",
  revoke: "support.grant_revoked",
};

export function tenantAccessGrantsRoutes(deps: SupportDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const q = c.req.valid("query");
    const attempt = { action: "support.grants_listed", tenantId, resourceType: "support_access_grant" };
    const rows = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "support_access.approve");
      return await listGrants(trx, { tenantId, state: q.state });
    });
    return c.json({ items: rows.map(grantView) }, 200);
  });

  for (const decision of ["approve", "deny", "revoke"] as const) {
    app.openapi(decisionRoute(decision), async (c) => {
      const { tenantId, grantId } = c.req.valid("param");
      const attempt = { action: ACTION[decision], tenantId, resourceType: "support_access_grant", resourceId: grantId };
      const row = await asCaller(deps, c, attempt, async (trx, ctx) => {
        await requirePermission(trx, tenantId, "support_access.approve");
        const grant = await selectGrants(trx).where("tenant_id", "=", tenantId).where("id", "=", grantId)
          .forUpdate().executeTakeFirst() as GrantRow | undefined;
        if (!grant) throw errors.notFound("access grant");
        const state = grantState(grant);
        const allowed = decision === "revoke" ? ["requested", "active"] : ["requested"];
        if (!allowed.includes(state)) {
          throw errors.conflict(`This grant is ${state}; it cannot be ${decision === "deny" ? "denied" : `${decision}d`}.`, {
            state,
          });
        }
        let update = trx.updateTable("support_access_grants").where("tenant_id", "=", tenantId).where("id", "=", grantId);
        if (decision === "revoke") update = update.set({ revoked_at: sql<Date>`now()` });
        else update = update.set({ status: decision === "approve" ? "approved" : "denied" });
        const after = await update.returning([
          "id",
          "tenant_id",
          "support_user_id",
          "reason",
          "status",
          "requested_at",
          "decided_by",
          "decided_at",
          "expires_at",
          "revoked_at",
          "revoked_by",
        ]).executeTakeFirstOrThrow() as GrantRow;
        await recordInTransaction(trx, eventFrom(ctx, {
          ...attempt,
          details: { support_user_id: after.support_user_id, state_before: state, by: "tenant" },
        }));
        return after;
      });
      return c.json(grantView(row), 200);
    });
  }

  return app;
}
