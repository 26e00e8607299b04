// What every request carries through the shared layer: its id, where it came
// from, and (once the auth middleware has run) the verified caller.

import type { Context } from "hono";
import { z } from "zod";

/** Verified JWT claims (the subset the shared layer relies on; the rest is kept). */
export interface JwtClaims {
  sub: string;
  role: "authenticated" | "service_role";
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  email?: string;
  session_id?: string;
  [claim: string]: unknown;
}

export interface Caller {
  userId: string;
  role: JwtClaims["role"];
  claims: JwtClaims;
}

/** Per-request facts passed to the database and audit layers. */
export interface RequestContext {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  method?: string;
  path?: string;
  caller?: Caller;
}

/** Hono environment shared by every function app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    caller?: Caller;
  };
}

const ipSchema = z.union([z.ipv4(), z.ipv6()]);

/**
 * The client address: the first x-forwarded-for entry (set by the Supabase
 * gateway / local proxy), else x-real-ip. Anything that is not a literal IP
 * is dropped, so the value is always safe for an `inet` column.
 * Locally (no proxy) a caller can set these headers; audit rows record what
 * the edge reported, which is the same trust Supabase itself gives them.
 */
export function clientIp(headers: Headers): string | null {
  const candidates = [headers.get("x-forwarded-for")?.split(",")[0], headers.get("x-real-ip")];
  for (const raw of candidates) {
    const value = raw?.trim();
    if (value && ipSchema.safeParse(value).success) return value;
  }
  return null;
}

/** User agent, capped so a hostile header cannot bloat audit rows. */
export function userAgent(headers: Headers): string | null {
  const ua = headers.get("user-agent");
  if (!ua) return null;
  return ua.length > 512 ? ua.slice(0, 512) : ua;
}

/**
 * The client address of a request: the proxy headers above, else the socket
 * peer that Deno.serve passes as the handler's second argument (Hono's c.env).
 */
export function clientIpOf(c: Context): string | null {
  const fromHeaders = clientIp(c.req.raw.headers);
  if (fromHeaders) return fromHeaders;
  const peer = (c.env as { remoteAddr?: { hostname?: unknown } } | undefined)?.remoteAddr?.hostname;
  return typeof peer === "string" && ipSchema.safeParse(peer).success ? peer : null;
}

export function requestContext(c: Context<AppEnv>): RequestContext {
  const headers = c.req.raw.headers;
  return {
    requestId: c.get("requestId"),
    ip: clientIpOf(c),
    userAgent: userAgent(headers),
    method: c.req.method,
    path: c.req.path,
    caller: c.get("caller"),
  };
}
