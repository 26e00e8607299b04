// Request and response schemas shared by several support routes.
import { z } from "@hono/zod-openapi";

export const TenantParams = z.object({
  tenantId: z.uuid("Invalid tenant id").openapi({ param: { name: "tenantId", in: "path" } }),
});

export const TicketParams = z.object({
  ticketId: z.uuid("Invalid ticket id").openapi({ param: { name: "ticketId", in: "path" } }),
});

export const TenantTicketParams = TenantParams.extend(TicketParams.shape);

export const GrantParams = z.object({
  grantId: z.uuid("Invalid grant id").openapi({ param: { name: "grantId", in: "path" } }),
});

export const TenantGrantParams = TenantParams.extend(GrantParams.shape);

export const TICKET_STATUSES = ["open", "pending", "resolved", "closed"] as const;
export const TicketStatus = z.enum(TICKET_STATUSES);
export const TICKET_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export const TicketPriority = z.enum(TICKET_PRIORITIES);

export const MessageBody = z.string().trim().min(1, "Write a message").max(10_000);

export const Ticket = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  subject: z.string(),
  status: TicketStatus,
  priority: TicketPriority,
  opened_by: z.uuid().nullable(),
  assigned_to: z.uuid().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
}).openapi("Ticket");
export type TicketView = z.infer<typeof Ticket>;

export const Message = z.object({
  id: z.uuid(),
  ticket_id: z.uuid(),
  author_id: z.uuid().nullable(),
  body: z.string(),
  internal: z.boolean().openapi({ description: "Internal note: shown to platform support only" }),
  created_at: z.string(),
}).openapi("TicketMessage");
export type MessageView = z.infer<typeof Message>;

export const TicketWithMessages = Ticket.extend({ messages: z.array(Message) }).openapi("TicketWithMessages");

export const TicketPage = z.object({
  items: z.array(Ticket),
  next_cursor: z.string().nullable(),
}).openapi("TicketPage");

export const GRANT_STATES = ["requested", "active", "denied", "expired", "revoked"] as const;

export const AccessGrant = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  support_user_id: z.uuid(),
  reason: z.string(),
  status: z.enum(["requested", "approved", "denied"]),
  state: z.enum(GRANT_STATES).openapi({
    description: "requested (awaiting a decision), active (approved, unexpired, unrevoked), denied, expired, revoked",
  }),
  requested_at: z.string(),
  decided_by: z.uuid().nullable(),
  decided_at: z.string().nullable(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
  revoked_by: z.uuid().nullable(),
}).openapi("AccessGrant");
export type AccessGrantView = z.infer<typeof AccessGrant>;

export const AccessGrantList = z.object({ items: z.array(AccessGrant) }).openapi("AccessGrantList");

export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function body<S extends z.ZodType>(schema: S) {
  return { required: true, content: { "application/json": { schema } } };
}

export function iso(d: Date | string | null): string | null {
  if (d === null) return null;
  return d instanceof Date ? d.toISOString() : new Date(d).toISOString();
}

export interface TicketRow {
  id: string;
  tenant_id: string;
  subject: string;
  status: string;
  priority: string;
  opened_by: string | null;
  assigned_to: string | null;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

export const TICKET_COLUMNS = [
  "id",
  "tenant_id",
  "subject",
  "status",
  "priority",
  "opened_by",
  "assigned_to",
  "created_at",
  "updated_at",
  "closed_at",
] as const;

export function ticketView(r: TicketRow): TicketView {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    subject: r.subject,
    status: r.status as TicketView["status"],
    priority: r.priority as TicketView["priority"],
    opened_by: r.opened_by,
    assigned_to: r.assigned_to,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    closed_at: iso(r.closed_at),
  };
}

export interface MessageRow {
  id: string;
  ticket_id: string;
  author_id: string | null;
  body: string;
  is_internal: boolean;
  created_at: Date;
}

export const MESSAGE_COLUMNS = ["id", "ticket_id", "author_id", "body", "is_internal", "created_at"] as const;

export function messageView(r: MessageRow): MessageView {
  return {
    id: r.id,
    ticket_id: r.ticket_id,
    author_id: r.author_id,
    body: r.body,
    internal: r.is_internal,
    created_at: iso(r.created_at)!,
  };
}

export interface GrantRow {
  id: string;
  tenant_id: string;
  support_user_id: string;
  reason: string;
  status: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

export const GRANT_COLUMNS = [
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
] as const;

export function grantState(r: GrantRow, now = Date.now()): AccessGrantView["state"] {
  if (r.revoked_at) return "revoked";
  if (r.status === "denied") return "denied";
  if (new Date(r.expires_at).getTime() <= now) return "expired";
  return r.status === "approved" ? "active" : "requested";
}

export function grantView(r: GrantRow): AccessGrantView {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    support_user_id: r.support_user_id,
    reason: r.reason,
    status: r.status as AccessGrantView["status"],
    state: grantState(r),
    requested_at: iso(r.requested_at)!,
    decided_by: r.decided_by,
    decided_at: iso(r.decided_at),
    expires_at: iso(r.expires_at)!,
    revoked_at: iso(r.revoked_at),
    revoked_by: r.revoked_by,
  };
}
