// JWT verification (jose) and the authentication middleware.
//
// Keys are chosen by the token's `alg` header, but only from an explicit
// allow-list: ES256/RS256 → the JWK set (Supabase's asymmetric signing keys),
// HS256 → the legacy shared secret. `alg: none`, any other alg, and an HS256
// token "signed" with a public key (algorithm confusion) are refused: the HMAC
// key is only ever the secret, and jose will not use an asymmetric key for
// HMAC. Signature, exp, nbf, iss, aud and role are checked.
//
// The token is never logged, never audited and never echoed.

import type { MiddlewareHandler } from "hono";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { z } from "zod";
import type { AuditSink } from "./audit.ts";
import type { AuthConfig } from "./config.ts";
import { type AppEnv, type Caller, clientIpOf, type JwtClaims, userAgent } from "./context.ts";
import { BoundedMap } from "./bounded-map.ts";
import { AppError, errors } from "./errors.ts";

export type RejectReason =
  | "missing_token"
  | "malformed_token"
  | "alg_not_allowed"
  | "no_key_for_alg"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "missing_claim"
  | "wrong_role"
  | "service_role_not_allowed";

/**
 * A refused token. `reason` (and `claim`, the claim at fault where there is
 * one: a missing `exp`, a `sub` that is not a user id) are for the audit
 * trail, never for the client.
 */
export class TokenRejected extends Error {
  readonly reason: RejectReason;
  readonly claim?: string;
  constructor(reason: RejectReason, claim?: string) {
    super(`token rejected: ${reason}${claim ? ` (${claim})` : ""}`);
    this.name = "TokenRejected";
    this.reason = reason;
    this.claim = claim;
  }
}

export interface TokenVerifier {
  /** Resolves to verified claims, or throws TokenRejected / AppError(unavailable). */
  verify(token: string): Promise<JwtClaims>;
}

const ASYMMETRIC_ALGS = new Set(["ES256", "RS256"]);
const MAX_TOKEN_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const uuid = z.uuid();

export function createVerifier(
  config: AuthConfig,
  options: { clockToleranceSeconds?: number; now?: () => number } = {},
): TokenVerifier {
  const verifier = signatureVerifier(config, options);
  const ttlMs = config.verifiedTokenCacheMs ?? 0;
  return ttlMs > 0 ? cachingVerifier(verifier, { ttlMs, maxEntries: VERIFIED_TOKEN_CACHE_MAX, now: options.now }) : verifier;
}

const VERIFIED_TOKEN_CACHE_MAX = 10_000;

/**
 * Remembers tokens that passed verification, for ttlMs and never past their
 * `exp`: a frontend sends the same token with every request, and checking
 * its signature again (ES256: a fifth of a list request's CPU in the
 * functions) tells nothing new until it expires. Only accepted tokens are
 * kept, keyed by the whole token string, so a refused or altered token is
 * verified (and audited) every time. The cost: a signing key withdrawn from
 * the JWKS stops being honoured for its tokens up to ttlMs later.
 */
export function cachingVerifier(
  inner: TokenVerifier,
  options: { ttlMs: number; maxEntries: number; now?: () => number },
): TokenVerifier {
  const now = options.now ?? Date.now;
  const verified = new BoundedMap<string, { claims: JwtClaims; until: number }>(options.maxEntries);
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit) {
        if (hit.until > now()) return hit.claims;
        verified.delete(token);
      }
      const claims = deepFreeze(await inner.verify(token));
      const until = Math.min(now() + options.ttlMs, claims.exp * 1000);
      if (until > now()) verified.set(token, { claims, until });
      return claims;
    },
  };
}

/** Claims shared by every request carrying the token: nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function signatureVerifier(config: AuthConfig, options: { clockToleranceSeconds?: number }): TokenVerifier {
  const localJwks = config.jwks ? createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0]) : undefined;
  const remoteJwks = config.jwksUrl
    ? createRemoteJWKSet(config.jwksUrl, { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 })
    : undefined;
  const secret = config.hs256Secret;
  const clockTolerance = options.clockToleranceSeconds ?? 5;

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) throw new TokenRejected("malformed_token");
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new TokenRejected("malformed_token");
      }
      if (!alg) throw new TokenRejected("malformed_token");

      let payload: JWTPayload;
      try {
        const verifyOptions = {
          algorithms: [alg],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance,
          requiredClaims: ["exp", "role"],
        };
        if (ASYMMETRIC_ALGS.has(alg)) {
          if (localJwks) ({ payload } = await jwtVerify(token, localJwks, verifyOptions));
          else if (remoteJwks) {
            try {
              ({ payload } = await jwtVerify(token, remoteJwks, verifyOptions));
            } catch (err) {
              // A JWKS endpoint that cannot be reached is our outage, not a bad token.
              if (
                !(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout ||
                err instanceof joseErrors.JWKSInvalid
              ) {
                throw errors.unavailable("The token signing keys cannot be fetched right now.", { cause: err });
              }
              throw err;
            }
          } else throw new TokenRejected("no_key_for_alg");
        } else if (alg === "HS256") {
          if (!secret) throw new TokenRejected("no_key_for_alg");
          ({ payload } = await jwtVerify(token, secret, verifyOptions));
        } else {
          throw new TokenRejected("alg_not_allowed");
        }
      } catch (err) {
        throw mapJoseError(err);
      }

      const role = payload.role;
      if (role !== "authenticated" && role !== "service_role") throw new TokenRejected("wrong_role");
      if (role === "authenticated" && !(typeof payload.sub === "string" && uuid.safeParse(payload.sub).success)) {
        throw new TokenRejected("missing_claim", "sub");
      }
      return payload as JwtClaims;
    },
  };
}

function mapJoseError(err: unknown): Error {
  if (err instanceof TokenRejected) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenRejected("expired");
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    // A required claim that is absent (a token without `exp` never expires:
    // it is incomplete, not expired), or a time claim that is not a number.
    if (err.reason === "missing") return new TokenRejected("missing_claim", err.claim);
    if (err.reason === "invalid") return new TokenRejected("malformed_token", err.claim);
    switch (err.claim) {
      case "iss":
        return new TokenRejected("wrong_issuer");
      case "aud":
        return new TokenRejected("wrong_audience");
      case "nbf":
        return new TokenRejected("not_yet_valid");
      default:
        return new TokenRejected("missing_claim", err.claim);
    }
  }
  if (err instanceof joseErrors.JWKSTimeout) {
    return errors.unavailable("The token signing keys cannot be fetched right now.", { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new TokenRejected("alg_not_allowed");
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) {
    return new TokenRejected("bad_signature");
  }
  if (err instanceof AppError) return err;
  return new TokenRejected("malformed_token");
}

/** The bearer token of a request, or null. Header name and scheme are case-insensitive. */
export function bearerToken(headers: Headers): string | null {
  const value = headers.get("authorization");
  if (!value) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : null;
}

export interface RouteMatcher {
  method: string;
  /** Path relative to the function's base path, with `:param` segments. */
  path: string;
}

// Route patterns compiled once (the matcher runs on every request).
const routePatterns = new Map<string, RegExp>();

function routePattern(full: string): RegExp {
  let re = routePatterns.get(full);
  if (!re) {
    re = new RegExp("^" + full.split("/").map((seg) =>
      seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    ).join("/") + "$");
    routePatterns.set(full, re);
  }
  return re;
}

export function matchesRoute(routes: readonly RouteMatcher[], basePath: string, method: string, path: string): boolean {
  return routes.some((r) => {
    if (r.method !== "*" && r.method.toUpperCase() !== method.toUpperCase()) return false;
    return routePattern((basePath + (r.path === "/" ? "" : r.path)) || "/").test(path);
  });
}

export interface AuthenticateOptions {
  basePath: string;
  verifier?: TokenVerifier;
  audit?: AuditSink;
  /** Routes that need no token (the OpenAPI document is always public). */
  publicRoutes?: readonly RouteMatcher[];
  /** The only routes a service_role token may call. */
  serviceRoleRoutes?: readonly RouteMatcher[];
}

/**
 * Runs before routing for every path: no or bad token → 401 whatever the
 * path (so an unauthenticated caller learns nothing about which routes
 * exist). Every refusal goes to the audit sink with ip and user agent.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  const publicRoutes = [{ method: "GET", path: "/openapi.json" }, ...(options.publicRoutes ?? [])];
  const serviceRoutes = options.serviceRoleRoutes ?? [];

  return async (c, next) => {
    const { method } = c.req;
    const path = c.req.path;
    if (method === "OPTIONS" || matchesRoute(publicRoutes, options.basePath, method, path)) return next();

    const refuse = async (reason: RejectReason, caller?: Caller, claim?: string): Promise<never> => {
      const headers = c.req.raw.headers;
      await options.audit?.record({
        action: reason === "service_role_not_allowed" ? "auth.role_refused" : "auth.token_rejected",
        outcome: "denied",
        actorId: caller?.userId || null,
        actorRole: caller?.role ?? null,
        ip: clientIpOf(c),
        userAgent: userAgent(headers),
        requestId: c.get("requestId"),
        details: { reason, ...(claim ? { claim } : {}), method, path },
      });
      if (reason === "service_role_not_allowed") throw errors.forbidden("This route does not accept the service role.");
      throw errors.unauthorized(reason === "expired" ? "The access token has expired." : undefined);
    };

    const token = bearerToken(c.req.raw.headers);
    if (!token) return refuse("missing_token");
    if (!options.verifier) return refuse("no_key_for_alg");

    let claims: JwtClaims;
    try {
      claims = await options.verifier.verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) return refuse(err.reason, undefined, err.claim);
      if (err instanceof AppError) throw err;
      return refuse("malformed_token");
    }
    const caller: Caller = { userId: typeof claims.sub === "string" ? claims.sub : "", role: claims.role, claims };
    if (claims.role === "service_role" && !matchesRoute(serviceRoutes, options.basePath, method, path)) {
      return refuse("service_role_not_allowed", caller);
    }
    c.set("caller", caller);
    await next();
  };
}
