// Tenant users (permission support.use): open a ticket, list and read their
// tenant's tickets, reply. Internal notes are never returned here: every
// message query filters is_internal = false itself (RLS also hides them from
// tenant users; the filter keeps it true for any caller of these routes).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { AppEnv } from "../../_shared/context.ts";
import type { Trx } from "../../_shared/db.ts";
import { errors } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { SupportDeps } from "../deps.ts";
import { asCaller, requirePermission } from "../../_shared/caller.ts";
import {
  body,
  json,
  Message,
  MESSAGE_COLUMNS,
  MessageBody,
  type MessageRow,
  messageView,
  TenantParams,
  TenantTicketParams,
  TICKET_COLUMNS,
  TicketPage,
  TicketPriority,
  type TicketRow,
  TicketStatus,
  ticketView,
  TicketWithMessages,
} from "../schemas.ts";

export const OpenTicket = z.object({
  subject: z.string().trim().min(1, "Write a subject").max(200),
  body: MessageBody,
  priority: TicketPriority.default("normal"),
}).openapi("OpenTicket");

export const Reply = z.object({ body: MessageBody }).openapi("TicketReply");

export const ListQuery = pageQuerySchema.extend({
  status: TicketStatus.optional(),
  opened_by: z.literal("me").optional().openapi({ description: "`me`: only the tickets I opened" }),
});
const CursorKey = z.object({ t: z.string().min(1).max(64), id: z.uuid() });

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/tickets",
  summary: "List the tenant's support tickets, newest first (keyset-paginated)",
  request: { params: TenantParams, query: ListQuery },
  responses: { 200: json(TicketPage, "A page of tickets"), ...errorResponses(400, 401, 403) },
});

export function createOpenRoute(deps: SupportDeps) {
  return createRoute({
    method: "post",
    path: "/tenants/{tenantId}/tickets",
    summary: "Open a support ticket with its first message (Idempotency-Key honoured)",
    middleware: [idempotent(deps.idempotency)] as const,
    request: { params: TenantParams, body: body(OpenTicket) },
    responses: { 201: json(TicketWithMessages, "Ticket opened"), ...errorResponses(400, 401, 403, 409, 422) },
  });
}

const getRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/tickets/{ticketId}",
  summary: "One ticket with its conversation (never internal notes)",
  request: { params: TenantTicketParams },
  responses: { 200: json(TicketWithMessages, "The ticket"), ...errorResponses(400, 401, 403, 404) },
});

export function createReplyRoute(deps: SupportDeps) {
  return createRoute({
    method: "post",
    path: "/tenants/{tenantId}/tickets/{ticketId}/messages",
    summary: "Reply on a ticket; a reply re-opens a pending or resolved ticket (Idempotency-Key honoured)",
    middleware: [idempotent(deps.idempotency)] as const,
    request: { params: TenantTicketParams, body: body(Reply) },
    responses: { 201: json(Message, "Reply posted"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  });
}

async function publicMessages(trx: Trx, tenantId: string, ticketId: string) {
  const rows = await trx.selectFrom("support_ticket_messages").select([...MESSAGE_COLUMNS])
    .where("tenant_id", "=", tenantId).where("ticket_id", "=", ticketId).where("is_internal", "=", false)
    .orderBy("created_at").orderBy("id").limit(1000).execute();
  return (rows as MessageRow[]).map(messageView);
}

export function ticketsRoutes(deps: SupportDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, CursorKey) : undefined;
    const attempt = { action: "support.tickets_listed", tenantId, resourceType: "support_ticket" };
    const rows = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "support.use");
      let query = trx.selectFrom("support_tickets")
        .select([...TICKET_COLUMNS, sql<string>`created_at::text`.as("created_key")])
        .where("tenant_id", "=", tenantId);
      if (q.status) query = query.where("status", "=", q.status);
      if (q.opened_by === "me") query = query.where("opened_by", "=", ctx.caller!.userId);
      if (after) query = query.where(sql<boolean>`(created_at, id) < (${after.t}::timestamptz, ${after.id}::uuid)`);
      return await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(q.limit + 1).execute();
    });
    const page = pageOf(rows, q.limit, (r) => ({ t: r.created_key, id: r.id }));
    return c.json({ items: page.items.map((r) => ticketView(r as TicketRow)), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(createOpenRoute(deps), async (c) => {
    const { tenantId } = c.req.valid("param");
    const input = c.req.valid("json");
    const attempt = { action: "support.ticket_opened", tenantId, resourceType: "support_ticket" };
    const out = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "support.use");
      const ticket = await trx.insertInto("support_tickets")
        .values({ tenant_id: tenantId, subject: input.subject, priority: input.priority })
        .returning([...TICKET_COLUMNS]).executeTakeFirstOrThrow();
      const message = await trx.insertInto("support_ticket_messages")
        .values({ tenant_id: tenantId, ticket_id: ticket.id, body: input.body, is_internal: false })
        .returning([...MESSAGE_COLUMNS]).executeTakeFirstOrThrow();
      return { ticket: ticket as TicketRow, message: message as MessageRow };
    });
    return c.json({ ...ticketView(out.ticket), messages: [messageView(out.message)] }, 201);
  });

  app.openapi(getRoute, async (c) => {
    const { tenantId, ticketId } = c.req.valid("param");
    const attempt = { action: "support.ticket_read", tenantId, resourceType: "support_ticket", resourceId: ticketId };
    const out = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "support.use");
      const ticket = await trx.selectFrom("support_tickets").select([...TICKET_COLUMNS])
        .where("tenant_id", "=", tenantId).where("id", "=", ticketId).executeTakeFirst();
      if (!ticket) throw errors.notFound("ticket");
      return { ticket: ticket as TicketRow, messages: await publicMessages(trx, tenantId, ticketId) };
    });
    return c.json({ ...ticketView(out.ticket), messages: out.messages }, 200);
  });

  app.openapi(createReplyRoute(deps), async (c) => {
    const { tenantId, ticketId } = c.req.valid("param");
    const input = c.req.valid("json");
    const attempt = { action: "support.ticket_replied", tenantId, resourceType: "support_ticket", resourceId: ticketId };
    const message = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "support.use");
      const ticket = await trx.selectFrom("support_tickets").select(["id", "status"])
        .where("tenant_id", "=", tenantId).where("id", "=", ticketId).forUpdate().executeTakeFirst();
      if (!ticket) throw errors.notFound("ticket");
      if (ticket.status === "closed") {
        throw errors.conflict("The ticket is closed; open a new ticket instead.", { status: "closed" });
      }
      if (ticket.status !== "open") {
        await trx.updateTable("support_tickets").set({ status: "open" })
          .where("tenant_id", "=", tenantId).where("id", "=", ticketId).execute();
      }
      return await trx.insertInto("support_ticket_messages")
        .values({ tenant_id: tenantId, ticket_id: ticketId, body: input.body, is_internal: false })
        .returning([...MESSAGE_COLUMNS]).executeTakeFirstOrThrow();
    });
    return c.json(messageView(message as MessageRow), 201);
  });

  return app;
}
