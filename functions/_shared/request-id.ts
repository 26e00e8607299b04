// Request id middleware: accept a sane incoming x-request-id (so a trace can
// span the browser, the gateway and the database), else make one; echo it on
// every response, errors included.

import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

/** 8–128 characters of [A-Za-z0-9._:-]: a UUID, a ULID, a trace id. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function acceptRequestId(incoming: string | null | undefined): string {
  return incoming && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = acceptRequestId(c.req.header("x-request-id"));
    c.set("requestId", id);
    c.header("x-request-id", id);
    await next();
    // Responses built outside Hono's context (errors, early returns) still get it.
    c.res.headers.set("x-request-id", id);
  };
}
