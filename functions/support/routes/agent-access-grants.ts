// Platform support agents: request time-boxed access to a tenant (reason and
// duration, at most 72 hours counted from the request), list their grants,
// and withdraw a request or give up a grant. Tenant admins decide requests in
// tenant-access-grants.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { errors } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { SupportDeps } from "../deps.ts";
import { listGrants, selectGrants, whereState } from "../grant-queries.ts";
import { asCaller } from "../../_shared/caller.ts";
import { requireAgent } from "../guard.ts";
import {
  AccessGrant,
  AccessGrantList,
  body,
  GRANT_STATES,
  GrantParams,
  type GrantRow,
  grantView,
  iso,
  json,
} from "../schemas.ts";

export const MAX_GRANT_HOURS = 72;

const ALREADY_OPEN = "You already have a pending request or an active grant for this tenant.";
/** supabase/migrations/20261126003400_one_pending_support_grant.sql */
const ONE_PENDING_CONSTRAINT = "support_access_grants_one_pending_per_agent";

export const RequestAccess = z.object({
  tenant_id: z.uuid("Invalid tenant id"),
  reason: z.string().trim().min(10, "Give a reason of at least 10 characters").max(1000),
  duration_hours: z.number().int("Whole hours").min(1).max(MAX_GRANT_HOURS, `At most ${MAX_GRANT_HOURS} hours`),
}).openapi("RequestAccess");

export const ListQuery = z.object({
  state: z.enum(GRANT_STATES).optional(),
  tenant_id: z.uuid("Invalid tenant id").optional(),
});

export const Revoked = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  status: z.string(),
  revoked_at: z.string(),
}).openapi("AccessGrantRevoked");

function createRequestRoute(deps: SupportDeps) {
  return createRoute({
    method: "post",
    path: "/agent/access-grants",
    summary: "Request access to a tenant for a reason and a duration (≤ 72 h; Idempotency-Key honoured)",
    middleware: [idempotent(deps.idempotency)] as const,
    request: { body: body(RequestAccess) },
    responses: { 201: json(AccessGrant, "Access requested"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  });
}

const listRoute = createRoute({
  method: "get",
  path: "/agent/access-grants",
  summary: "My access grants, newest first",
  request: { query: ListQuery },
  responses: { 200: json(AccessGrantList, "My grants"), ...errorResponses(400, 401, 403) },
});

const revokeRoute = createRoute({
  method: "post",
  path: "/agent/access-grants/{grantId}/revoke",
  summary: "Withdraw my pending request or give up my grant",
  request: { params: GrantParams },
  responses: { 200: json(Revoked, "Revoked"), ...errorResponses(400, 401, 403, 404, 409) },
});

export function agentAccessGrantsRoutes(deps: SupportDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRequestRoute(deps), async (c) => {
    const input = c.req.valid("json");
    const attempt = {
      action: "support.grant_requested",
      tenantId: input.tenant_id,
      resourceType: "support_access_grant",
      details: { duration_hours: input.duration_hours },
    };
    const row = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requireAgent(trx);
      // Serialise this agent's requests for this tenant, so two concurrent
      // requests cannot both pass the "one open grant" check below. (A request
      // made another way, say through PostgREST, skips this lock: the
      // database's one-pending-request constraint catches it, below.)
      await sql`select pg_advisory_xact_lock(hashtextextended(${`support_grant:${ctx.caller!.userId}:${input.tenant_id}`}, 0))`
        .execute(trx);
      const open = await whereState(
        selectGrants(trx).where("tenant_id", "=", input.tenant_id).where("support_user_id", "=", ctx.caller!.userId),
        "requested",
      ).unionAll(
        whereState(
          selectGrants(trx).where("tenant_id", "=", input.tenant_id).where("support_user_id", "=", ctx.caller!.userId),
          "active",
        ),
      ).executeTakeFirst();
      if (open) throw errors.conflict(ALREADY_OPEN, { grant_id: open.id });
      let created: GrantRow;
      try {
        created = await trx.insertInto("support_access_grants")
          .values({
            tenant_id: input.tenant_id,
            support_user_id: ctx.caller!.userId,
            reason: input.reason,
            expires_at: sql<Date>`now() + make_interval(hours => ${input.duration_hours})`,
          })
          .returning([
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
          ])
          .executeTakeFirstOrThrow() as GrantRow;
      } catch (err) {
        const { code, constraint } = (err ?? {}) as { code?: unknown; constraint?: unknown };
        // The tenant foreign key: there is no such tenant.
        if (code === "23503") throw errors.notFound("tenant");
        // A pending request committed meanwhile, unseen by the check above.
        if (code === "23P01" && constraint === ONE_PENDING_CONSTRAINT) throw errors.conflict(ALREADY_OPEN);
        throw err;
      }
      await recordInTransaction(trx, eventFrom(ctx, {
        ...attempt,
        resourceId: created.id,
        details: { duration_hours: input.duration_hours, expires_at: iso(created.expires_at) },
      }));
      return created;
    });
    return c.json(grantView(row), 201);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const rows = await asCaller(deps, c, { action: "support.grants_listed", resourceType: "support_access_grant" }, async (trx, ctx) => {
      await requireAgent(trx);
      return await listGrants(trx, { supportUserId: ctx.caller!.userId, tenantId: q.tenant_id, state: q.state });
    });
    return c.json({ items: rows.map(grantView) }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const { grantId } = c.req.valid("param");
    const attempt = { action: "support.grant_revoked", resourceType: "support_access_grant", resourceId: grantId };
    const r = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requireAgent(trx);
      const { rows: [r] } = await sql<{ id: string; tenant_id: string; status: string; revoked_at: Date }>`
        select * from private.revoke_my_support_grant(${grantId}::uuid)`.execute(trx);
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, tenantId: r.tenant_id, details: { by: "grantee" } }));
      return r;
    });
    return c.json({ id: r.id, tenant_id: r.tenant_id, status: r.status, revoked_at: iso(r.revoked_at)! }, 200);
  });

  return app;
}
