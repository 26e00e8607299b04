// Protected fields of one employee: reveal one (mandatory reason, permission
// pii.reveal, rate-limited, audited in the same transaction as the read) and
// erase all of them (crypto-shredding of the row: ciphertexts and blind
// indexes cleared, audited). Plaintext leaves only through reveal, which has
// no idempotency record (its body must never be stored).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { requestContext } from "../../_shared/context.ts";
import { erasePiiQuery } from "../../_shared/crypto/shredding.ts";
import { isCryptoError } from "../../_shared/crypto/errors.ts";
import { errors } from "../../_shared/errors.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { PII_FIELDS, piiFieldSchema } from "../../_shared/pii/fields.ts";
import { enforceRateLimit } from "../../_shared/rate-limit.ts";
import { validationHook } from "../../_shared/validation.ts";
import { DEFAULT_REVEAL_LIMIT, type AdminDeps } from "../deps.ts";
import { ciphertextOf, type EmployeeRow, selectEmployees } from "../employee-view.ts";
import { asCaller, auditRefusal, requirePermission } from "../../_shared/caller.ts";
import { body, EmployeeParams, json, Reason } from "../schemas.ts";

export const RevealBody = z.object({ field: piiFieldSchema, reason: Reason }).openapi("RevealRequest");
export const Revealed = z.object({
  employee_id: z.uuid(),
  field: piiFieldSchema,
  value: z.string(),
}).openapi("RevealedField");

export const EraseBody = z.object({ reason: Reason }).openapi("EraseRequest");
export const Erased = z.object({
  employee_id: z.uuid(),
  erased_fields: z.array(piiFieldSchema),
}).openapi("ErasedPii");

const revealRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/employees/{employeeId}/reveal",
  summary: "Reveal one protected field in plaintext (reason required; audited; rate-limited)",
  request: { params: EmployeeParams, body: body(RevealBody) },
  responses: {
    200: json(Revealed, "The plaintext value"),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const eraseRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/employees/{employeeId}/erase-pii",
  summary: "Erase an employee's protected fields (ciphertexts and blind indexes cleared; irreversible)",
  request: { params: EmployeeParams, body: body(EraseBody) },
  responses: { 200: json(Erased, "Erased"), ...errorResponses(400, 401, 403, 404) },
});

export function piiRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const limit = deps.revealLimit ?? DEFAULT_REVEAL_LIMIT;

  app.openapi(revealRoute, async (c) => {
    const { tenantId, employeeId } = c.req.valid("param");
    const { field, reason } = c.req.valid("json");
    const attempt = { action: "pii.reveal", tenantId, resourceType: "employee", resourceId: employeeId, details: { field } };
    const ctx = requestContext(c);
    try {
      await enforceRateLimit(deps.rateLimiter, ctx, { action: "pii.reveal", ...limit });
    } catch (err) {
      await auditRefusal(deps, ctx, attempt, err);
      throw err;
    }
    const value = await asCaller(deps, c, attempt, async (trx) => {
      await requirePermission(trx, tenantId, "pii.reveal");
      const row = await selectEmployees(trx)
        .where("tenant_id", "=", tenantId).where("id", "=", employeeId).where("deleted_at", "is", null)
        .executeTakeFirst() as EmployeeRow | undefined;
      if (!row) throw errors.notFound("employee");
      const ciphertext = ciphertextOf(row, field);
      if (!ciphertext) throw errors.notFound("value");
      let plain: string;
      try {
        plain = await deps.vault.decryptField({
          tenantId, table: "employees", field, rowId: employeeId, ciphertext: new Uint8Array(ciphertext),
        });
      } catch (err) {
        if (!isCryptoError(err)) throw err;
        // erased key or tampered ciphertext: no detail that could help an attacker,
        // but the failed attempt is a security event (possible tampering)
        await deps.audit.record(eventFrom(ctx, { ...attempt, outcome: "error", details: { field, refused: "unreadable" } }));
        throw errors.businessRule("This value cannot be revealed.", { field });
      }
      // The reveal and its audit row commit together.
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { field, reason } }));
      return plain;
    });
    c.header("cache-control", "no-store");
    return c.json({ employee_id: employeeId, field, value }, 200);
  });

  app.openapi(eraseRoute, async (c) => {
    const { tenantId, employeeId } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const attempt = { action: "pii.erased", tenantId, resourceType: "employee", resourceId: employeeId };
    await asCaller(deps, c, attempt, async (trx, ctx) => {
      await requirePermission(trx, tenantId, "employees.delete");
      const { rows } = await erasePiiQuery("employees", tenantId, employeeId).execute(trx);
      if (rows.length !== 1) throw errors.notFound("employee");
      await recordInTransaction(trx, eventFrom(ctx, { ...attempt, details: { fields: [...PII_FIELDS], reason } }));
    });
    return c.json({ employee_id: employeeId, erased_fields: [...PII_FIELDS] }, 200);
  });

  return app;
}
