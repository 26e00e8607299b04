// Data-key rotation of one tenant (permission keys.rotate: owners and
// admins). POST starts one (or resumes one whose runner stopped) and answers
// 202 once the job is recorded; the batches go on in the background
// (functions/_shared/crypto/rotation.ts: resumable, crash-safe). GET follows
// progress. Start and finish are audited with the acting user. Job rows are
// read through private.tenant_key_rotations, which checks keys.rotate.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../../_shared/audit.ts";
import type { AppEnv } from "../../_shared/context.ts";
import { requestContext } from "../../_shared/context.ts";
import { isCryptoError } from "../../_shared/crypto/errors.ts";
import type { AnyDb } from "../../_shared/crypto/data-keys.ts";
import { KeyRotation } from "../../_shared/crypto/rotation.ts";
import type { Trx } from "../../_shared/db.ts";
import { errors, fromPgError } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { validationHook } from "../../_shared/validation.ts";
import type { AdminDeps } from "../deps.ts";
import { actingAuditSink, asCaller } from "../../_shared/caller.ts";
import { iso, json, TenantParams } from "../schemas.ts";

export const JobParams = TenantParams.extend({
  jobId: z.uuid("Invalid job id").openapi({ param: { name: "jobId", in: "path" } }),
});

export const Job = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  kind: z.string(),
  status: z.enum(["running", "completed", "failed"]),
  target_version: z.number().int(),
  rows_total: z.number().int(),
  rows_done: z.number().int(),
  rows_skipped: z.number().int(),
  progress: z.number().min(0).max(1),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
}).openapi("KeyRotationJob");

export const KeyRotationStarted = z.object({ job: Job, resumed: z.boolean() }).openapi("KeyRotationStarted");
export const KeyRotationJobList = z.object({ items: z.array(Job) }).openapi("KeyRotationJobList");

const startRoute = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/key-rotations",
  summary: "Rotate the tenant's data key and re-encrypt its rows (resumes a stalled job)",
  request: { params: TenantParams },
  responses: {
    202: json(KeyRotationStarted, "Started"),
    ...errorResponses(400, 401, 403, 409, 422),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/key-rotations",
  summary: "The tenant's recent key rotations, newest first",
  request: { params: TenantParams },
  responses: { 200: json(KeyRotationJobList, "Jobs"), ...errorResponses(400, 401, 403) },
});

const getRoute = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/key-rotations/{jobId}",
  summary: "Progress of one key rotation",
  request: { params: JobParams },
  responses: { 200: json(Job, "The job"), ...errorResponses(400, 401, 403, 404) },
});

interface JobRow {
  id: string;
  tenant_id: string;
  kind: string;
  status: "running" | "completed" | "failed";
  target_version: number;
  rows_total: string;
  rows_done: string;
  rows_skipped: string;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  stalled: boolean;
}

function view(r: JobRow): z.infer<typeof Job> {
  const total = Number(r.rows_total);
  const done = Number(r.rows_done) + Number(r.rows_skipped);
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    kind: r.kind,
    status: r.status,
    target_version: r.target_version,
    rows_total: total,
    rows_done: Number(r.rows_done),
    rows_skipped: Number(r.rows_skipped),
    progress: r.status === "completed" ? 1 : total === 0 ? 0 : Math.min(1, done / total),
    last_error: r.last_error,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    finished_at: iso(r.finished_at),
  };
}

/** The tenant's jobs as the caller may see them (private.tenant_key_rotations checks keys.rotate: 42501 → 403). */
async function jobsOf(trx: Trx, tenantId: string, jobId?: string): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`select * from private.tenant_key_rotations(${tenantId}::uuid, ${jobId ?? null}::uuid)`
    .execute(trx);
  return rows;
}

export function keyRotationsRoutes(deps: AdminDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const rotation = new KeyRotation(deps.db as unknown as AnyDb, deps.vault);

  app.openapi(createRoute({ ...startRoute, middleware: [idempotent(deps.idempotency)] }), async (c) => {
    const { tenantId } = c.req.valid("param");
    const attempt = { action: "keys.rotation_started", tenantId, resourceType: "key_rotation_job" };
    const running = (await asCaller(deps, c, attempt, (trx) => jobsOf(trx, tenantId))).find((j) => j.status === "running");
    if (running && !running.stalled) {
      throw errors.conflict("A key rotation is already running for this tenant.", { job_id: running.id });
    }
    const ctx = requestContext(c);
    let announce: (jobId: string) => void = () => {};
    const announced = new Promise<string>((resolve) => (announce = resolve));
    const run = rotation.rotateTenantDataKey(tenantId, {
      audit: actingAuditSink(deps.audit, ctx),
      startedBy: ctx.caller?.userId,
      onProgress: (p) => announce(p.jobId),
    });
    const finished = run.then((r) => r.jobId);
    deps.runInBackground?.(run.catch(() => {}));
    let jobId: string;
    try {
      jobId = await Promise.race([announced, finished]);
    } catch (err) {
      if (isCryptoError(err) && err.code === "key_unavailable") {
        throw errors.businessRule("This tenant's keys were destroyed; there is nothing to rotate.");
      }
      throw fromPgError(err);
    }
    const job = await asCaller(deps, c, attempt, async (trx) => {
      const [r] = await jobsOf(trx, tenantId, jobId);
      await recordInTransaction(trx, eventFrom(ctx, {
        action: "keys.rotation_requested", tenantId, resourceType: "key_rotation_job", resourceId: jobId,
        details: { resumed: Boolean(running) },
      }));
      return r;
    });
    return c.json({ job: view(job), resumed: Boolean(running) }, 202);
  });

  app.openapi(listRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const attempt = { action: "keys.rotation_read", tenantId, resourceType: "key_rotation_job" };
    const jobs = await asCaller(deps, c, attempt, (trx) => jobsOf(trx, tenantId));
    return c.json({ items: jobs.map(view) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { tenantId, jobId } = c.req.valid("param");
    const attempt = { action: "keys.rotation_read", tenantId, resourceType: "key_rotation_job", resourceId: jobId };
    const [job] = await asCaller(deps, c, attempt, (trx) => jobsOf(trx, tenantId, jobId));
    if (!job) throw errors.notFound("key rotation");
    return c.json(view(job), 200);
  });

  return app;
}
