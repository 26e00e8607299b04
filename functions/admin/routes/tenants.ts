// Tenants: list the ones you can see (RLS: your memberships; platform admins
// see all), and, for platform admins, create a tenant with its first owner
// and offboard one (soft delete, then crypto-shredding of its data keys). The database decides
// who may (private.create_tenant_with_owner checks platform.tenants.manage on
// live platform_staff rows). An existing user with the owner's email becomes
// owner at once; otherwise an owner invitation is created and its token is
// returned once (so this POST keeps no idempotency record; a retry with the
// same slug is a 409).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { hashInvitationToken, newInvitationToken } from "../../_shared/invitation-token.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { actingAuditSink, asCaller, requirePlatformPermission } from "../../_shared/caller.ts";
import { requestContext } from "../../_shared/context.ts";
import { shredTenant } from "../../_shared/crypto/shredding.ts";
import { errors } from "../../_shared/errors.ts";
import { body, escapeLike, iso, json, Reason, TenantParams } from "../schemas.ts";

export const CreateTenant = z.object({
  name: z.string().trim().min(1).max(200),
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "Lower-case letters, digits and dashes, 2 to 63 characters"),
  owner_email: z.email("Invalid email address").max(320).transform((e) => e.trim().toLowerCase()),
}).openapi("CreateTenant");

export const TenantCreated = z.object({
  tenant: z.object({ id: z.uuid(), name: z.string(), slug: z.string(), created_at: z.string() }),
  owner: z.object({
    user_id: z.uuid().nullable().openapi({ description: "Set when the owner already had an account" }),
    invitation_id: z.uuid().nullable(),
    invitation_token: z.string().nullable().openapi({ description: "Shown once; send it to the owner" }),
  }),
}).openapi("TenantCreated");

const createTenantRoute = createRoute({
  method: "post",
  path: "/tenants",
  summary: "Create a tenant with its first owner (platform admins only)",
  request: { body: body(CreateTenant) },
  responses: { 201: json(TenantCreated, "Tenant created"), ...errorResponses(400, 401, 403, 409) },
});

export const TenantListed = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  my_role: z.string().nullable().openapi({ description: "Your role in the tenant; null for platform staff" }),
  created_at: z.string(),
}).openapi("TenantListed");

export const ListQuery = pageQuerySchema.extend({
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Text search on name and slug" }),
});
const CursorKey = z.object({ n: z.string(), id: z.uuid() });

export const TenantPage = z.object({ items: z.array(TenantListed), next_cursor: z.string().nullable() }).openapi("TenantPage");

const listTenantsRoute = createRoute({
  method: "get",
  path: "/tenants",
  summary: "Tenants you can see (your own; every tenant for platform admins), by name, keyset-paginated",
  request: { query: ListQuery },
  responses: {
    200: json(TenantPage, "A page of tenants"),
    ...errorResponses(400, 401),
  },
});

export const OffboardTenant = z.object({
  confirm_slug: z.string().min(1).max(63).openapi({ description: "The tenant's slug, typed again: the operation cannot be undone" }),
  reason: Reason,
}).openapi("OffboardTenant");

export const TenantOffboarded = z.object({
  tenant_id: z.uuid(),
  slug: z.string(),
  deleted_at: z.string(),
  keys_destroyed: z.number().int().openapi({ description: "Data keys destroyed by this call (0 when a retry finds them gone)" }),
}).openapi("TenantOffboarded");

const offboardTenantRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/offboarding",
  summary: "Offboard a tenant (platform admins only): soft-delete it and destroy its data keys, so its PII is unreadable forever; audit rows stay",
  request: { params: TenantParams, body: body(OffboardTenant) },
  responses: { 200: json(TenantOffboarded, "Offboarded"), ...errorResponses(400, 401, 403, 404, 422) },
});

const INVITATION_DAYS = 14;

export function tenantsRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listTenantsRoute, async (c) => {
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, CursorKey) : undefined;
    const rows = await asCaller(deps, c, { action: "tenants.list", resourceType: "tenant" }, async (trx) => {
      let query = trx.selectFrom("tenants")
        .select(["id", "name", "slug", "created_at", sql<string | null>`private.my_role_in(id)`.as("my_role")])
        .where("deleted_at", "is", null);
      if (q.q) {
        const pattern = `%${escapeLike(q.q)}%`;
        query = query.where((eb) => eb.or([eb("name", "ilike", pattern), eb("slug", "ilike", pattern)]));
      }
      if (after) query = query.where(sql<boolean>`(name, id) > (${after.n}, ${after.id}::uuid)`);
      return await query.orderBy("name").orderBy("id").limit(q.limit + 1).execute();
    });
    const page = pageOf(rows, q.limit, (r) => ({ n: r.name, id: r.id }));
    return c.json({
      items: page.items.map((r) => ({ ...r, created_at: iso(r.created_at)! })),
      next_cursor: page.next_cursor,
    }, 200);
  });

  app.openapi(createTenantRoute, async (c) => {
    const input = c.req.valid("json");
    const token = newInvitationToken();
    const tokenHash = await hashInvitationToken(token);
    const attempt = { action: "tenant.created", resourceType: "tenant", details: { slug: input.slug } };
    const created = await asCaller(deps, c, attempt, async (trx, ctx) => {
      const { rows: [r] } = await sql<{ tenant_id: string; owner_user_id: string | null; invitation_id: string | null }>`
        select * from private.create_tenant_with_owner(${input.name}, ${input.slug}, ${input.owner_email},
          ${tokenHash}, now() + make_interval(days => ${INVITATION_DAYS}))`.execute(trx);
      const tenant = await trx.selectFrom("tenants").select(["id", "name", "slug", "created_at"])
        .where("id", "=", r.tenant_id).executeTakeFirstOrThrow();
      await recordInTransaction(trx, eventFrom(ctx, {
        ...attempt,
        tenantId: r.tenant_id,
        resourceId: r.tenant_id,
        details: { slug: input.slug, owner: r.owner_user_id ? "existing_user" : "invited" },
      }));
      return { r, tenant };
    });
    return c.json({
      tenant: { ...created.tenant, created_at: iso(created.tenant.created_at)! },
      owner: {
        user_id: created.r.owner_user_id,
        invitation_id: created.r.invitation_id,
        invitation_token: created.r.invitation_id ? token : null,
      },
    }, 201);
  });

  // The soft delete commits first: from then on RLS hides the tenant's rows
  // from every member. The keys are destroyed after it, outside the caller's
  // transaction (they live in a private table); a failure there is retried by
  // calling again, which finds the tenant already deleted and shreds what is left.
  app.openapi(offboardTenantRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const { confirm_slug, reason } = c.req.valid("json");
    const attempt = { action: "tenant.offboarded", tenantId, resourceType: "tenant", resourceId: tenantId };
    const tenant = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePlatformPermission(trx, "platform.tenants.manage", "Only platform admins can offboard a tenant.");
      const found = await trx.selectFrom("tenants").select(["id", "slug"]).where("id", "=", tenantId).executeTakeFirst();
      if (!found) throw errors.notFound("tenant");
      if (found.slug !== confirm_slug) {
        throw errors.businessRule("confirm_slug does not match the tenant's slug.", { field: "confirm_slug" });
      }
      const row = await trx.updateTable("tenants").set({ deleted_at: sql`coalesce(deleted_at, now())` })
        .where("id", "=", tenantId).returning(["id", "slug", "deleted_at"]).executeTakeFirstOrThrow();
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { slug: row.slug, reason } }));
      return row;
    });
    const ctx = requestContext(c);
    const { keysDestroyed } = await shredTenant(deps.vault, tenantId, actingAuditSink(deps.audit, ctx));
    return c.json({
      tenant_id: tenant.id,
      slug: tenant.slug,
      deleted_at: iso(tenant.deleted_at)!,
      keys_destroyed: keysDestroyed,
    }, 200);
  });

  return app;
}
