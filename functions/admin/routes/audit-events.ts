// The tenant's audit trail, newest first, through public.list_audit_events
// (which checks audit.read and returns redacted rows). Keyset pagination on
// the event id.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { AppEnv } from "../../_shared/context.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { asCaller } from "../../_shared/caller.ts";
import { iso, json, TenantParams } from "../schemas.ts";

export const AuditQuery = pageQuerySchema.extend({
  action: z.string().min(1).max(100).optional(),
  resource_type: z.string().min(1).max(100).optional(),
  resource_id: z.string().min(1).max(200).optional(),
  actor_id: z.uuid().optional(),
  outcome: z.enum(["success", "denied", "error"]).optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Occurred at or after (ISO 8601)" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Occurred before (ISO 8601)" }),
});

const CursorKey = z.object({ id: z.string().regex(/^\d{1,19}$/) });

export const AuditEvent = z.object({
  id: z.string(),
  occurred_at: z.string(),
  tenant_id: z.uuid().nullable(),
  actor_id: z.uuid().nullable(),
  actor_role: z.string().nullable(),
  action: z.string(),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  ip_address: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  outcome: z.string(),
  changed_columns: z.array(z.string()).nullable(),
  old_values: z.record(z.string(), z.unknown()).nullable(),
  new_values: z.record(z.string(), z.unknown()).nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
}).openapi("AuditEvent");

export const AuditEventPage = z.object({ items: z.array(AuditEvent), next_cursor: z.string().nullable() }).openapi("AuditEventPage");

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/audit-events",
  summary: "The tenant's audit trail (filters, keyset pagination; protected values redacted)",
  request: { params: TenantParams, query: AuditQuery },
  responses: {
    200: json(AuditEventPage, "A page of events"),
    ...errorResponses(400, 401, 403),
  },
});

type Row = Omit<z.infer<typeof AuditEvent>, "occurred_at"> & { occurred_at: Date };

export function auditEventsRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const q = c.req.valid("query");
    const before = q.cursor ? decodeCursor(q.cursor, CursorKey).id : null;
    const rows = await asCaller(deps, c, { action: "audit.read", tenantId, resourceType: "audit_event" }, async (trx) => {
      const { rows } = await sql<Row>`
        select id::text as id, occurred_at, tenant_id, actor_id, actor_role, action, resource_type, resource_id,
               host(ip_address) as ip_address, user_agent, request_id, outcome, changed_columns,
               old_values, new_values, details
        from public.list_audit_events(
          tenant_id => ${tenantId}::uuid, action => ${q.action ?? null}::text,
          resource_type => ${q.resource_type ?? null}::text, resource_id => ${q.resource_id ?? null}::text,
          actor_id => ${q.actor_id ?? null}::uuid, outcome => ${q.outcome ?? null}::text,
          occurred_from => ${q.from ?? null}::timestamptz, occurred_to => ${q.to ?? null}::timestamptz,
          before_id => ${before}::bigint, page_size => ${q.limit + 1}::int)`.execute(trx);
      return rows;
    });
    const page = pageOf(rows, q.limit, (r) => ({ id: r.id }));
    return c.json({
      items: page.items.map((r) => ({ ...r, occurred_at: iso(r.occurred_at)! })),
      next_cursor: page.next_cursor,
    }, 200);
  });

  return app;
}
