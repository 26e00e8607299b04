// The health function: database reachability and the applied migration.
// No token needed (config.toml declares verify_jwt = false); it discloses
// nothing beyond these two facts.

import { createRoute, z } from "@hono/zod-openapi";
import type { AuditSink } from "../_shared/audit.ts";
import type { HttpConfig } from "../_shared/config.ts";
import { errors } from "../_shared/errors.ts";
import { createFunctionApp, type FunctionApp } from "../_shared/function-app.ts";
import { ErrorEnvelopeSchema } from "../_shared/openapi.ts";

export interface HealthDeps {
  http: HttpConfig;
  /** Resolves to the latest applied migration version; rejects when the database is down. */
  probe: () => Promise<string | null>;
  /** Upper bound for the probe, so health answers quickly when the database hangs. */
  probeTimeoutMs?: number;
  audit?: AuditSink;
}

const DatabaseStatus = z.object({
  reachable: z.boolean(),
  migration: z.string().nullable().openapi({ example: "20261126000000" }),
});

const HealthOk = z.object({ status: z.literal("ok"), database: DatabaseStatus }).openapi("Health");

const HealthDown = z
  .object({
    status: z.literal("unavailable"),
    database: DatabaseStatus,
    error: ErrorEnvelopeSchema.shape.error,
  })
  .openapi("HealthDown");

const healthRoute = createRoute({
  method: "get",
  path: "/",
  summary: "Service and database health",
  security: [],
  responses: {
    200: { description: "The database is reachable", content: { "application/json": { schema: HealthOk } } },
    503: { description: "The database is unreachable", content: { "application/json": { schema: HealthDown } } },
  },
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(errors.unavailable()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createHealthApp(deps: HealthDeps): FunctionApp {
  const app = createFunctionApp("health", {
    http: deps.http,
    audit: deps.audit,
    publicRoutes: [{ method: "GET", path: "/" }],
    description: "Health of the Kazi functions and their database.",
  });

  app.openapi(healthRoute, async (c) => {
    try {
      const migration = await withTimeout(deps.probe(), deps.probeTimeoutMs ?? 3000);
      c.header("cache-control", "no-store");
      return c.json({ status: "ok" as const, database: { reachable: true, migration } }, 200);
    } catch {
      c.header("cache-control", "no-store");
      const err = errors.unavailable("The database is unreachable.");
      return c.json({
        status: "unavailable" as const,
        database: { reachable: false, migration: null },
        error: { code: err.code, message: err.message, details: err.details, request_id: c.get("requestId") },
      }, 503);
    }
  });
  return app;
}
