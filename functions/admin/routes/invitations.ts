// Invitations: invite someone (role at most your own, enforced by the
// database trigger on invitations), list and revoke them. The token is
// returned once; only its SHA-256 is stored.
//
// Invitations are not recorded in the idempotency store: their 2xx body holds
// the one-time token, which must never be stored. A retry is safe anyway: a
// second pending invitation for the same email is a 409.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { errors } from "../../_shared/errors.ts";
import { hashInvitationToken, newInvitationToken } from "../../_shared/invitation-token.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { asCaller, requirePermission } from "../../_shared/caller.ts";
import { body, iso, json, TenantParams, TenantRole } from "../schemas.ts";

export const InviteBody = z.object({
  email: z.email("Invalid email address").max(320).transform((e) => e.trim().toLowerCase()),
  role: TenantRole,
  expires_in_days: z.number().int().min(1).max(30).default(7),
}).openapi("InvitationRequest");

export const Invitation = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  email: z.string(),
  role: TenantRole,
  expires_at: z.string(),
}).openapi("Invitation");

export const Invited = z.object({
  invitation: Invitation,
  token: z.string().openapi({ description: "Shown once; only its SHA-256 is stored." }),
}).openapi("InvitationCreated");

export const InvitationParams = TenantParams.extend({
  invitationId: z.uuid("Invalid invitation id").openapi({ param: { name: "invitationId", in: "path" } }),
});

export const InvitationState = z.enum(["pending", "accepted", "revoked", "expired"]);
export const InvitationListed = Invitation.extend({
  state: InvitationState,
  invited_by: z.uuid().nullable(),
  created_at: z.string(),
}).openapi("InvitationListed");

export const ListQuery = z.object({ state: InvitationState.optional() });
export const InvitationList = z.object({ items: z.array(InvitationListed) }).openapi("InvitationList");

const inviteRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/invitations",
  summary: "Invite someone (role at most your own); the token is returned once",
  request: { params: TenantParams, body: body(InviteBody) },
  responses: { 201: json(Invited, "Invitation created"), ...errorResponses(400, 401, 403, 409, 422) },
});

const listInvitationsRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/invitations",
  summary: "The tenant's invitations, newest first (tokens are never shown again)",
  request: { params: TenantParams, query: ListQuery },
  responses: {
    200: json(InvitationList, "Invitations"),
    ...errorResponses(400, 401, 403),
  },
});

const revokeInvitationRoute = createRoute({
  method: "delete",
  path: "/tenants/{tenantId}/invitations/{invitationId}",
  summary: "Revoke a pending invitation",
  request: { params: InvitationParams },
  responses: { 200: json(InvitationListed, "Revoked"), ...errorResponses(400, 401, 403, 404, 409) },
});

type Role = z.infer<typeof TenantRole>;

interface InvitationRow {
  id: string;
  tenant_id: string;
  email: string;
  role: string;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
  invited_by: string | null;
  created_at: Date;
}

function invitationView(r: InvitationRow, now = Date.now()): z.infer<typeof InvitationListed> {
  const state = r.accepted_at ? "accepted" : r.revoked_at ? "revoked" : r.expires_at.getTime() <= now ? "expired" : "pending";
  return {
    id: r.id, tenant_id: r.tenant_id, email: r.email, role: r.role as Role, state, invited_by: r.invited_by,
    expires_at: iso(r.expires_at)!, created_at: iso(r.created_at)!,
  };
}

const INVITATION_COLUMNS = [
  "id", "tenant_id", "email", "role", "expires_at", "accepted_at", "revoked_at", "invited_by", "created_at",
] as const;

export function invitationsRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(inviteRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const input = c.req.valid("json");
    const token = newInvitationToken();
    const tokenHash = await hashInvitationToken(token);
    const attempt = { action: "member.invited", tenantId, resourceType: "invitation", details: { role: input.role } };
    const invitation = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "invitations.manage");
      const pending = await trx.selectFrom("invitations").select("id")
        .where("tenant_id", "=", tenantId).where("email", "=", input.email)
        .where("accepted_at", "is", null).where("revoked_at", "is", null).where("expires_at", ">", sql<Date>`now()`)
        .executeTakeFirst();
      if (pending) throw errors.conflict("This email already has a pending invitation.", { invitation_id: pending.id });
      const { rows: members } = await sql<{ n: number }>`
        select count(*)::int as n from private.tenant_members(${tenantId}::uuid) where lower(email) = ${input.email}`
        .execute(trx);
      if (members[0].n > 0) throw errors.conflict("This person is already a member.");
      const row = await trx.insertInto("invitations").values({
        tenant_id: tenantId,
        email: input.email,
        role: input.role,
        token_hash: tokenHash,
        expires_at: sql<Date>`now() + make_interval(days => ${input.expires_in_days})`,
      }).returning(["id", "tenant_id", "email", "role", "expires_at"]).executeTakeFirstOrThrow();
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, resourceId: row.id }));
      return row;
    });
    return c.json({
      invitation: { ...invitation, role: invitation.role as Role, expires_at: iso(invitation.expires_at)! },
      token,
    }, 201);
  });

  app.openapi(listInvitationsRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const { state } = c.req.valid("query");
    const rows = await asCaller(deps, c, { action: "invitations.list", tenantId, resourceType: "invitation" }, async (trx) => {
      await requirePermission(trx, tenantId, "invitations.manage");
      return await trx.selectFrom("invitations").select(INVITATION_COLUMNS)
        .where("tenant_id", "=", tenantId).orderBy("created_at", "desc").orderBy("id").limit(200).execute();
    });
    const items = (rows as InvitationRow[]).map((r) => invitationView(r)).filter((i) => !state || i.state === state);
    return c.json({ items }, 200);
  });

  app.openapi(revokeInvitationRoute, async (c) => {
    const { tenantId, invitationId } = c.req.valid("param");
    const attempt = { action: "invitation.revoked", tenantId, resourceType: "invitation", resourceId: invitationId };
    const row = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "invitations.manage");
      const current = await trx.selectFrom("invitations").select(INVITATION_COLUMNS)
        .where("tenant_id", "=", tenantId).where("id", "=", invitationId).forUpdate().executeTakeFirst();
      if (!current) throw errors.notFound("invitation");
      const view = invitationView(current as InvitationRow);
      if (view.state !== "pending") throw errors.conflict(`The invitation is already ${view.state}.`, { state: view.state });
      const updated = await trx.updateTable("invitations").set({ revoked_at: sql<Date>`now()` })
        .where("tenant_id", "=", tenantId).where("id", "=", invitationId)
        .returning(INVITATION_COLUMNS).executeTakeFirstOrThrow();
      await recordInTransaction(trx, eventFrom(ctx, attempt));
      return updated as InvitationRow;
    });
    return c.json(invitationView(row), 200);
  });

  return app;
}
