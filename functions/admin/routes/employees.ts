// Employees of a tenant, masked: list with filters and keyset pagination,
// exact lookup by a protected value through its blind index, get one, and
// soft-delete. Every query runs as the caller (RLS), after an explicit
// permission check so a refusal is a clear, audited 403.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { recordInTransaction, eventFrom } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { errors } from "../../_shared/errors.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { decodeCursor, pageOf, pageQuerySchema } from "../../_shared/pagination.ts";
import { blindIndexColumn, FIELD_SPECS } from "../../_shared/pii/fields.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { type EmployeeRow, selectEmployees, toView, toViews } from "../employee-view.ts";
import { asCaller, requirePermission } from "../../_shared/caller.ts";
import { body, Employee, EmployeePage, EmployeeParams, escapeLike, iso, json, TenantParams } from "../schemas.ts";

export const ListQuery = pageQuerySchema.extend({
  status: z.enum(["active", "on_leave", "suspended", "terminated"]).optional(),
  department: z.string().trim().min(1).max(200).optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Text search on first, last and other names" }),
});

const CursorKey = z.object({ l: z.string(), f: z.string(), id: z.uuid() });

const LOOKUP_FIELDS = ["national_id", "phone", "kra_pin"] as const;
export const LookupBody = z.object({
  field: z.enum(LOOKUP_FIELDS),
  value: z.string().min(1).max(64),
}).openapi("EmployeeLookup");

export const LookupResult = z.object({ items: z.array(Employee) }).openapi("EmployeeLookupResult");

export const Deleted = z.object({ id: z.uuid(), deleted_at: z.string() }).openapi("EmployeeDeleted");

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/employees",
  summary: "List employees (masked), filtered, keyset-paginated by name",
  request: { params: TenantParams, query: ListQuery },
  responses: { 200: json(EmployeePage, "A page of employees"), ...errorResponses(400, 401, 403) },
});

const lookupRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/employees/lookup",
  summary: "Find employees by exact national ID, phone or KRA PIN (blind index; nothing is decrypted to search)",
  description: "A POST so the value never appears in a URL or access log.",
  request: { params: TenantParams, body: body(LookupBody) },
  responses: {
    200: json(LookupResult, "Matching employees (masked)"),
    ...errorResponses(400, 401, 403),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/employees/{employeeId}",
  summary: "One employee (masked)",
  request: { params: EmployeeParams },
  responses: { 200: json(Employee, "The employee"), ...errorResponses(400, 401, 403, 404) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/tenants/{tenantId}/employees/{employeeId}",
  summary: "Soft-delete an employee",
  request: { params: EmployeeParams },
  responses: { 200: json(Deleted, "Soft-deleted"), ...errorResponses(400, 401, 403, 404, 409) },
});

export function employeesRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor ? decodeCursor(q.cursor, CursorKey) : undefined;
    const rows = await asCaller(deps, c, { action: "employees.list", tenantId, resourceType: "employee" }, async (trx) => {
      await requirePermission(trx, tenantId, "employees.read");
      let query = selectEmployees(trx).where("tenant_id", "=", tenantId).where("deleted_at", "is", null);
      if (q.status) query = query.where("status", "=", q.status);
      if (q.department) query = query.where("department", "=", q.department);
      if (q.q) {
        const pattern = `%${escapeLike(q.q)}%`;
        query = query.where((eb) =>
          eb.or([
            eb("first_name", "ilike", pattern),
            eb("last_name", "ilike", pattern),
            eb("other_names", "ilike", pattern),
          ])
        );
      }
      if (after) query = query.where(sql<boolean>`(last_name, first_name, id) > (${after.l}, ${after.f}, ${after.id}::uuid)`);
      return await query.orderBy("last_name").orderBy("first_name").orderBy("id").limit(q.limit + 1).execute();
    });
    const page = pageOf(rows as EmployeeRow[], q.limit, (r) => ({ l: r.last_name, f: r.first_name, id: r.id }));
    const items = await toViews(deps.vault, page.items);
    return c.json({ items, next_cursor: page.next_cursor }, 200);
  });

  app.openapi(lookupRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const { field, value } = c.req.valid("json");
    const parsed = FIELD_SPECS[field].schema.safeParse(value);
    if (!parsed.success) {
      throw errors.invalidInput("The request body is not valid.", {
        target: "json",
        fields: { value: parsed.error.issues[0]?.message ?? "Invalid value" },
      });
    }
    const attempt = { action: "pii.lookup", tenantId, resourceType: "employee", details: { field } };
    const rows = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "employees.read");
      const index = await deps.vault.blindIndex({ tenantId, field, value: parsed.data });
      const found = await selectEmployees(trx)
        .where("tenant_id", "=", tenantId)
        .where("deleted_at", "is", null)
        .where(sql<boolean>`${sql.ref(blindIndexColumn(field))} = ${index}`)
        .orderBy("id")
        .limit(50)
        .execute();
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { field, matches: found.length } }));
      return found;
    });
    const items = await toViews(deps.vault, rows as EmployeeRow[]);
    return c.json({ items }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { tenantId, employeeId } = c.req.valid("param");
    const attempt = { action: "employee.read", tenantId, resourceType: "employee", resourceId: employeeId };
    const row = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "employees.read");
      return await selectEmployees(trx)
        .where("tenant_id", "=", tenantId)
        .where("id", "=", employeeId)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
    });
    if (!row) throw errors.notFound("employee");
    return c.json(await toView(deps.vault, row as EmployeeRow), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { tenantId, employeeId } = c.req.valid("param");
    const attempt = { action: "employee.soft_deleted", tenantId, resourceType: "employee", resourceId: employeeId };
    const deletedAt = await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "employees.delete");
      const row = await trx.selectFrom("employees").select(["id", "deleted_at"])
        .where("tenant_id", "=", tenantId).where("id", "=", employeeId).forUpdate().executeTakeFirst();
      if (!row) throw errors.notFound("employee");
      if (row.deleted_at) throw errors.conflict("The employee is already deleted.");
      const done = await trx.updateTable("employees").set({ deleted_at: sql`now()` })
        .where("tenant_id", "=", tenantId).where("id", "=", employeeId)
        .returning("deleted_at").executeTakeFirstOrThrow();
      await recordInTransaction(trx, eventFrom(ctx, attempt));
      return done.deleted_at!;
    });
    return c.json({ id: employeeId, deleted_at: iso(deletedAt)! }, 200);
  });

  return app;
}
