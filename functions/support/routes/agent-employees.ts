// Platform support agents under an active access grant: the tenant's
// employees with masked protected fields only (there is no reveal route in
// the support API). Every call records support.grant_used with the grant id.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { AppEnv } from "../../_shared/context.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { SupportDeps } from "../deps.ts";
import { EMPLOYEE_COLUMNS, type EmployeeRow, SupportEmployee, toMaskedViews } from "../employee-view.ts";
import { asCaller } from "../../_shared/caller.ts";
import { recordGrantUse, requireActiveGrant } from "../guard.ts";
import { json, TenantParams } from "../schemas.ts";

export const ListQuery = pageQuerySchema.extend({
  status: z.enum(["active", "on_leave", "suspended", "terminated"]).optional(),
});
const CursorKey = z.object({ l: z.string(), f: z.string(), id: z.uuid() });

export const EmployeePage = z.object({
  items: z.array(SupportEmployee),
  next_cursor: z.string().nullable(),
  grant_id: z.uuid().openapi({ description: "The access grant this read was made under" }),
}).openapi("SupportEmployeePage");

const listRoute = createRoute({
  method: "get",
  path: "/agent/tenants/{tenantId}/employees",
  summary: "A tenant's employees, masked, by name (needs an active access grant)",
  request: { params: TenantParams, query: ListQuery },
  responses: { 200: json(EmployeePage, "A page of employees (masked)"), ...errorResponses(400, 401, 403) },
});

export function agentEmployeesRoutes(deps: SupportDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, CursorKey) : undefined;
    const attempt = { action: "support.employees_listed", tenantId, resourceType: "employee" };
    const { rows, grantId } = await asCaller(deps, c, attempt, async (trx, ctx) => {
      const grant = await requireActiveGrant(trx, ctx, tenantId);
      let query = trx.selectFrom("employees").select([...EMPLOYEE_COLUMNS])
        .where("tenant_id", "=", tenantId).where("deleted_at", "is", null);
      if (q.status) query = query.where("status", "=", q.status);
      if (after) query = query.where(sql<boolean>`(last_name, first_name, id) > (${after.l}, ${after.f}, ${after.id}::uuid)`);
      const rows = await query.orderBy("last_name").orderBy("first_name").orderBy("id").limit(q.limit + 1).execute();
      await recordGrantUse(trx, ctx, grant, tenantId, {
        operation: "employees.list",
        resourceType: "employee",
        details: { returned: Math.min(rows.length, q.limit), masked: true },
      });
      return { rows: rows as EmployeeRow[], grantId: grant.id };
    });
    const page = pageOf(rows, q.limit, (r) => ({ l: r.last_name, f: r.first_name, id: r.id }));
    const items = await toMaskedViews(deps.vault, page.items);
    return c.json({ items, next_cursor: page.next_cursor, grant_id: grantId }, 200);
  });

  return app;
}
