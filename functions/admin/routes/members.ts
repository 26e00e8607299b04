// Members of a tenant: list, change role, remove. The hierarchy rules (never
// grant, change or remove above your own rank; keep one owner) are enforced by
// the database trigger on memberships; this file turns its refusals into
// audited 403/422 answers.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { errors } from "../../_shared/errors.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { asCaller, requirePermission } from "../../_shared/caller.ts";
import { body, iso, json, MemberParams, TenantParams, TenantRole } from "../schemas.ts";

export const Member = z.object({
  membership_id: z.uuid(),
  user_id: z.uuid(),
  email: z.string().nullable(),
  display_name: z.string(),
  role: TenantRole,
  created_at: z.string(),
  updated_at: z.string(),
}).openapi("Member");

export const RoleBody = z.object({ role: TenantRole }).openapi("RoleChange");
export const Membership = z.object({ user_id: z.uuid(), tenant_id: z.uuid(), role: TenantRole, previous_role: TenantRole })
  .openapi("MembershipRoleChanged");
export const Removed = z.object({ user_id: z.uuid(), tenant_id: z.uuid(), role: TenantRole }).openapi("MemberRemoved");
export const MemberList = z.object({ items: z.array(Member) }).openapi("MemberList");

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/members",
  summary: "List the tenant's members with email, name and role",
  request: { params: TenantParams },
  responses: { 200: json(MemberList, "Members"), ...errorResponses(400, 401, 403) },
});

const changeRoleRoute = createRoute({
  method: "patch",
  path: "/tenants/{tenantId}/members/{userId}",
  summary: "Change a member's role (never above your own; the last owner stays owner)",
  request: { params: MemberParams, body: body(RoleBody) },
  responses: { 200: json(Membership, "Role changed"), ...errorResponses(400, 401, 403, 404, 422) },
});

const removeRoute = createRoute({
  method: "delete",
  path: "/tenants/{tenantId}/members/{userId}",
  summary: "Remove a member (not above your own role; not the last owner)",
  request: { params: MemberParams },
  responses: { 200: json(Removed, "Removed"), ...errorResponses(400, 401, 403, 404, 422) },
});

type Role = z.infer<typeof TenantRole>;

export function membersRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const rows = await asCaller(deps, c, { action: "members.list", tenantId, resourceType: "membership" }, async (trx) => {
      const { rows } = await sql<{
        membership_id: string; user_id: string; email: string | null; display_name: string; role: Role;
        created_at: Date; updated_at: Date;
      }>`select * from private.tenant_members(${tenantId}::uuid)`.execute(trx);
      return rows;
    });
    return c.json({
      items: rows.map((r) => ({ ...r, created_at: iso(r.created_at)!, updated_at: iso(r.updated_at)! })),
    }, 200);
  });

  app.openapi(changeRoleRoute, async (c) => {
    const { tenantId, userId } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const attempt = {
      action: "member.role_changed", tenantId, resourceType: "membership", resourceId: userId, details: { to: role },
    };
    const previous = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "members.manage");
      const current = await trx.selectFrom("memberships").select("role")
        .where("tenant_id", "=", tenantId).where("user_id", "=", userId).forUpdate().executeTakeFirst();
      if (!current) throw errors.notFound("member");
      if (current.role !== role) {
        await trx.updateTable("memberships").set({ role })
          .where("tenant_id", "=", tenantId).where("user_id", "=", userId).execute();
        await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { from: current.role, to: role } }));
      }
      return current.role as Role;
    });
    return c.json({ user_id: userId, tenant_id: tenantId, role, previous_role: previous }, 200);
  });

  app.openapi(removeRoute, async (c) => {
    const { tenantId, userId } = c.req.valid("param");
    const attempt = { action: "member.removed", tenantId, resourceType: "membership", resourceId: userId };
    const role = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "members.manage");
      const removed = await trx.deleteFrom("memberships")
        .where("tenant_id", "=", tenantId).where("user_id", "=", userId)
        .returning("role").executeTakeFirst();
      if (!removed) throw errors.notFound("member");
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { role: removed.role } }));
      return removed.role as Role;
    });
    return c.json({ user_id: userId, tenant_id: tenantId, role }, 200);
  });

  return app;
}
