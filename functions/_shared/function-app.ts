// createFunctionApp(name, deps): the Hono (OpenAPIHono) app every function
// starts from. Base path `/<name>` (Supabase routes /functions/v1/<name>/...
// to the function with the path `/<name>/...`), then, in order, for every
// path: its turn (at most http.maxConcurrentRequests at once, the rest in
// arrival order; concurrency-limit.ts) → request id → CORS (preflight
// answered) → body limit → authentication.
// The local gateway hands requests over as they came, under /functions/v1/;
// the app routes those paths as if the prefix were not there.
// Unknown paths and errors render the one envelope. `GET /<name>/openapi.json`
// serves the OpenAPI 3 document built from the routes' zod schemas and is the
// only route, besides those listed in `publicRoutes`, that needs no token.
//
// A function, by example (functions/admin/):
//   // app.ts — boot once: config, pool, verifier, audit sink
//   const { config, db, verifier, audit } = boot(["auth", "crypto"]);
//   export const app = createFunctionApp("admin", { http: config.http, verifier, audit });
//   app.route("/", employeesRoutes({ db, audit }));   // routes/employees.ts: an OpenAPIHono
//   // index.ts
//   Deno.serve(app.fetch);
//   // in a route handler
//   const ctx = requestContext(c);                     // request id, ip, user agent, caller
//   const rows = await withUser(db, ctx, (trx) => trx.selectFrom(...).execute());
// Route sub-apps should be `new OpenAPIHono<AppEnv>({ defaultHook: validationHook })`
// so their zod failures render the invalid_input envelope; POSTs that create
// things add `middleware: [idempotent(store)]` to their createRoute().

import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { getPath } from "hono/utils/url";
import type { AuditSink } from "./audit.ts";
import { authenticate, type RouteMatcher, type TokenVerifier } from "./auth.ts";
import { takeTurns } from "./concurrency-limit.ts";
import type { HttpConfig } from "./config.ts";
import type { AppEnv } from "./context.ts";
import { cors } from "./cors.ts";
import { createOnError, type ErrorLogger, errorResponse, errors } from "./errors.ts";
import { requestId } from "./request-id.ts";
import { validationHook } from "./validation.ts";

export interface FunctionDeps {
  http: HttpConfig;
  verifier?: TokenVerifier;
  audit?: AuditSink;
  publicRoutes?: readonly RouteMatcher[];
  serviceRoleRoutes?: readonly RouteMatcher[];
  logError?: ErrorLogger;
  /** Shown in the OpenAPI document. */
  version?: string;
  description?: string;
}

export type FunctionApp = OpenAPIHono<AppEnv>;

// Supabase hands a function /<name>/...; the local gateway
// (scripts/serve-functions.ts) hands over /functions/v1/<name>/... unchanged
// rather than copy each request into a new one with the prefix cut: the copy
// (and the abort signal it made Deno settle for every request) cost about a
// tenth of a save's CPU in the functions. The path the routes, the audit and
// request.path see is the same either way.
export const GATEWAY_PREFIX = "/functions/v1/";
function pathWithoutGatewayPrefix(request: Request): string {
  const path = getPath(request);
  return path.startsWith(GATEWAY_PREFIX) ? path.slice(GATEWAY_PREFIX.length - 1) : path;
}

export function createFunctionApp(name: string, deps: FunctionDeps): FunctionApp {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`invalid function name: ${name}`);
  const basePath = `/${name}`;
  const onError = createOnError(deps.logError);

  const root = new OpenAPIHono<AppEnv>({ defaultHook: validationHook, getPath: pathWithoutGatewayPrefix });
  root.use("*", requestId());
  // Hono hands only Error instances to onError; anything else thrown is caught here.
  root.use("*", async (c, next) => {
    try {
      await next();
    } catch (err) {
      c.res = onError(err, c);
    }
  });
  root.use("*", cors(deps.http.allowedOrigins));
  root.use(
    "*",
    bodyLimit({
      maxSize: deps.http.bodyLimitBytes,
      onError: () => {
        throw errors.payloadTooLarge(deps.http.bodyLimitBytes);
      },
    }),
  );
  root.use(
    "*",
    authenticate({
      basePath,
      verifier: deps.verifier,
      audit: deps.audit,
      publicRoutes: deps.publicRoutes,
      serviceRoleRoutes: deps.serviceRoleRoutes,
    }),
  );

  const app = root.basePath(basePath);
  // OpenAPIHono.basePath does not carry the notFound handler over: set both here.
  app.onError(onError);
  app.notFound((c) => errorResponse(errors.notFound("route"), c.get("requestId") ?? null));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Supabase Auth access token (role authenticated).",
  });
  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: `Kazi ${name} API`,
      version: deps.version ?? "0.1.0",
      description: deps.description,
    },
    servers: [{ url: "/functions/v1" }],
    security: [{ bearerAuth: [] }],
  });
  return deps.http.maxConcurrentRequests ? takeTurns(app, deps.http.maxConcurrentRequests) : app;
}
