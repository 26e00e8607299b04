// CORS for browser callers. Only origins listed in KAZI_ALLOWED_ORIGINS get an
// Access-Control-Allow-Origin header; a preflight is answered (204) before
// authentication, since browsers never send credentials on a preflight.

import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "./context.ts";

/** Headers supabase-js and our clients send. */
export const CORS_ALLOW_HEADERS = [
  "authorization",
  "apikey",
  "content-type",
  "x-client-info",
  "x-request-id",
  "idempotency-key",
];

export const CORS_EXPOSE_HEADERS = ["x-request-id", "retry-after", "idempotent-replayed"];

export function cors(allowedOrigins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(allowedOrigins);
  return honoCors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 600,
    credentials: false,
  }) as MiddlewareHandler<AppEnv>;
}
