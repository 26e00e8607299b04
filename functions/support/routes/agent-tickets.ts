// Platform support agents: the ticket queue (every tenant's ticket metadata,
// never a message), assignment, and — under an active access grant for the
// ticket's tenant — the full conversation with internal notes, replies,
// internal notes and status/priority changes. Each grant use is audited
// (support.grant_used) in the same transaction as the work.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv, RequestContext } from "../../_shared/context.ts";
import type { Trx } from "../../_shared/db.ts";
import { errors } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { SupportDeps } from "../deps.ts";
import { asCaller } from "../../_shared/caller.ts";
import { recordGrantUse, requireActiveGrant, requireAgent } from "../guard.ts";
import {
  body,
  iso,
  json,
  Message,
  MESSAGE_COLUMNS,
  MessageBody,
  type MessageRow,
  messageView,
  Ticket,
  TICKET_COLUMNS,
  TicketParams,
  TicketPriority,
  type TicketRow,
  TicketStatus,
  ticketView,
  TicketWithMessages,
} from "../schemas.ts";

export const QueueQuery = pageQuerySchema.extend({
  status: TicketStatus.optional(),
  assignee: z.union([z.literal("me"), z.literal("none"), z.uuid()]).optional().openapi({
    description: "An agent's user id, `me`, or `none` for unassigned tickets",
  }),
  tenant_id: z.uuid("Invalid tenant id").optional(),
});
const CursorKey = z.object({ t: z.string().min(1).max(64), id: z.uuid() });

export const QueueItem = Ticket.extend({
  tenant_name: z.string(),
  assigned_at: z.string().nullable(),
  has_active_grant: z.boolean().openapi({ description: "Whether you hold an active access grant for the tenant" }),
}).openapi("QueueTicket");
export const QueuePage = z.object({ items: z.array(QueueItem), next_cursor: z.string().nullable() }).openapi("QueuePage");

export const Assign = z.object({
  assignee_id: z.uuid("Invalid user id").nullable().openapi({ description: "A platform support agent, or null to unassign" }),
}).openapi("AssignTicket");
export const Assigned = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  assigned_to: z.uuid().nullable(),
  assigned_at: z.string().nullable(),
}).openapi("TicketAssignment");

export const AgentMessage = z.object({
  body: MessageBody,
  internal: z.boolean().default(false).openapi({ description: "true: an internal note, never shown to the tenant" }),
}).openapi("AgentMessage");

export const TicketChange = z.object({
  status: TicketStatus.optional(),
  priority: TicketPriority.optional(),
}).refine((v) => v.status !== undefined || v.priority !== undefined, {
  message: "Give a status or a priority",
  path: ["status"],
}).openapi("TicketChange");

const queueRoute = createRoute({
  method: "get",
  path: "/agent/tickets",
  summary: "Ticket queue of every tenant, oldest first (metadata only; keyset-paginated)",
  request: { query: QueueQuery },
  responses: { 200: json(QueuePage, "A page of the queue"), ...errorResponses(400, 401, 403) },
});

const assignRoute = createRoute({
  method: "post",
  path: "/agent/tickets/{ticketId}/assign",
  summary: "Assign a ticket to a platform support agent, or unassign it",
  request: { params: TicketParams, body: body(Assign) },
  responses: { 200: json(Assigned, "Assignment saved"), ...errorResponses(400, 401, 403, 404) },
});

const getRoute = createRoute({
  method: "get",
  path: "/agent/tickets/{ticketId}",
  summary: "A ticket with its whole conversation, internal notes included (needs an active grant)",
  request: { params: TicketParams },
  responses: { 200: json(TicketWithMessages, "The ticket"), ...errorResponses(400, 401, 403, 404) },
});

function createMessageRoute(deps: SupportDeps) {
  return createRoute({
    method: "post",
    path: "/agent/tickets/{ticketId}/messages",
    summary: "Reply to the tenant, or add an internal note (needs an active grant; Idempotency-Key honoured)",
    middleware: [idempotent(deps.idempotency)] as const,
    request: { params: TicketParams, body: body(AgentMessage) },
    responses: { 201: json(Message, "Message posted"), ...errorResponses(400, 401, 403, 404, 409, 422) },
  });
}

const changeRoute = createRoute({
  method: "patch",
  path: "/agent/tickets/{ticketId}",
  summary: "Change a ticket's status or priority (needs an active grant)",
  request: { params: TicketParams, body: body(TicketChange) },
  responses: { 200: json(Ticket, "The changed ticket"), ...errorResponses(400, 401, 403, 404) },
});

interface QueueRow extends TicketRow {
  tenant_name: string;
  assigned_at: Date | null;
  has_active_grant: boolean;
  created_key: string;
}

/** The ticket's queue row (platform support only; 403 otherwise), or 404. */
async function queueTicket(trx: Trx, ticketId: string): Promise<QueueRow> {
  await requireAgent(trx);
  const { rows: [row] } = await sql<QueueRow>`
    select q.*, q.created_at::text as created_key
    from private.support_ticket_queue(p_ticket_id => ${ticketId}::uuid) q`.execute(trx);
  if (!row) throw errors.notFound("ticket");
  return row;
}

/** The ticket's tenant with the caller's active grant for it (403 without one). */
async function grantedTicket(trx: Trx, ctx: RequestContext, ticketId: string) {
  const ticket = await queueTicket(trx, ticketId);
  const grant = await requireActiveGrant(trx, ctx, ticket.tenant_id);
  return { ticket, grant, tenantId: ticket.tenant_id };
}

export function agentTicketsRoutes(deps: SupportDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(queueRoute, async (c) => {
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, CursorKey) : undefined;
    const rows = await asCaller(deps, c, { action: "support.queue_read", resourceType: "support_ticket" }, async (trx, ctx) => {
      await requireAgent(trx);
      const assignee = q.assignee === "me" ? ctx.caller!.userId : q.assignee === "none" ? null : q.assignee ?? null;
      const { rows } = await sql<QueueRow>`
        select q.*, q.created_at::text as created_key
        from private.support_ticket_queue(
          p_status => ${q.status ?? null}::text,
          p_assignee => ${assignee}::uuid,
          p_unassigned => ${q.assignee === "none"}::boolean,
          p_tenant_id => ${q.tenant_id ?? null}::uuid,
          p_after_created_at => ${after?.t ?? null}::timestamptz,
          p_after_id => ${after?.id ?? null}::uuid,
          p_limit => ${q.limit + 1}::integer) q`.execute(trx);
      return rows;
    });
    const page = pageOf(rows, q.limit, (r) => ({ t: r.created_key, id: r.id }));
    return c.json({
      items: page.items.map((r) => ({
        ...ticketView(r),
        tenant_name: r.tenant_name,
        assigned_at: iso(r.assigned_at),
        has_active_grant: r.has_active_grant,
      })),
      next_cursor: page.next_cursor,
    }, 200);
  });

  app.openapi(assignRoute, async (c) => {
    const { ticketId } = c.req.valid("param");
    const { assignee_id } = c.req.valid("json");
    const attempt = { action: "support.ticket_assigned", resourceType: "support_ticket", resourceId: ticketId };
    const row = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requireAgent(trx);
      const { rows: [r] } = await sql<{
        id: string;
        tenant_id: string;
        assigned_to: string | null;
        assigned_at: Date | null;
        previous_assignee: string | null;
      }>`select * from private.assign_support_ticket(${ticketId}::uuid, ${assignee_id}::uuid)`.execute(trx);
      await recordInTransaction(trx, eventFrom(ctx, {
        ...attempt,
        tenantId: r.tenant_id,
        details: { assignee_id: r.assigned_to, previous_assignee_id: r.previous_assignee },
      }));
      return r;
    });
    return c.json({ id: row.id, tenant_id: row.tenant_id, assigned_to: row.assigned_to, assigned_at: iso(row.assigned_at) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { ticketId } = c.req.valid("param");
    const attempt = { action: "support.ticket_read", resourceType: "support_ticket", resourceId: ticketId };
    const out = await asCaller(deps, c, attempt, async (trx, ctx) => {
      const { tenantId, grant } = await grantedTicket(trx, ctx, ticketId);
      const ticket = await trx.selectFrom("support_tickets").select([...TICKET_COLUMNS])
        .where("tenant_id", "=", tenantId).where("id", "=", ticketId).executeTakeFirst();
      if (!ticket) throw errors.notFound("ticket");
      const messages = await trx.selectFrom("support_ticket_messages").select([...MESSAGE_COLUMNS])
        .where("tenant_id", "=", tenantId).where("ticket_id", "=", ticketId)
        .orderBy("created_at").orderBy("id").limit(1000).execute();
      await recordGrantUse(trx, ctx, grant, tenantId, {
        operation: "ticket.read",
        resourceType: "support_ticket",
        resourceId: ticketId,
      });
      return { ticket: ticket as TicketRow, messages: (messages as MessageRow[]).map(messageView) };
    });
    return c.json({ ...ticketView(out.ticket), messages: out.messages }, 200);
  });

  app.openapi(createMessageRoute(deps), async (c) => {
    const { ticketId } = c.req.valid("param");
    const input = c.req.valid("json");
    const attempt = {
      action: input.internal ? "support.internal_note_added" : "support.ticket_replied",
      resourceType: "support_ticket",
      resourceId: ticketId,
    };
    const message = await asCaller(deps, c, attempt, async (trx, ctx) => {
      const { tenantId, grant } = await grantedTicket(trx, ctx, ticketId);
      const ticket = await trx.selectFrom("support_tickets").select(["id", "status"])
        .where("tenant_id", "=", tenantId).where("id", "=", ticketId).forUpdate().executeTakeFirst();
      if (!ticket) throw errors.notFound("ticket");
      if (ticket.status === "closed" && !input.internal) {
        throw errors.conflict("The ticket is closed; re-open it before replying.", { status: "closed" });
      }
      const row = await trx.insertInto("support_ticket_messages")
        .values({ tenant_id: tenantId, ticket_id: ticketId, body: input.body, is_internal: input.internal })
        .returning([...MESSAGE_COLUMNS]).executeTakeFirstOrThrow();
      await recordGrantUse(trx, ctx, grant, tenantId, {
        operation: input.internal ? "ticket.internal_note" : "ticket.reply",
        resourceType: "support_ticket",
        resourceId: ticketId,
        details: { message_id: row.id },
      });
      return row;
    });
    return c.json(messageView(message as MessageRow), 201);
  });

  app.openapi(changeRoute, async (c) => {
    const { ticketId } = c.req.valid("param");
    const change = c.req.valid("json");
    const attempt = { action: "support.ticket_changed", resourceType: "support_ticket", resourceId: ticketId };
    const ticket = await asCaller(deps, c, attempt, async (trx, ctx) => {
      const { tenantId, grant, ticket: before } = await grantedTicket(trx, ctx, ticketId);
      const row = await trx.updateTable("support_tickets")
        .set({
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.priority !== undefined ? { priority: change.priority } : {}),
        })
        .where("tenant_id", "=", tenantId).where("id", "=", ticketId)
        .returning([...TICKET_COLUMNS]).executeTakeFirst();
      if (!row) throw errors.notFound("ticket");
      await recordGrantUse(trx, ctx, grant, tenantId, {
        operation: "ticket.change",
        resourceType: "support_ticket",
        resourceId: ticketId,
        details: {
          status: { from: before.status, to: row.status },
          priority: { from: before.priority, to: row.priority },
        },
      });
      return row as TicketRow;
    });
    return c.json(ticketView(ticket), 200);
  });

  return app;
}
