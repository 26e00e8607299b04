// Token minting for integration tests, with the same keys the served
// functions verify: ES256 from KAZI_DEV_JWT_PRIVATE_JWK (dev/test only) and
// the legacy HS256 secret KAZI_JWT_SECRET.

import { importJWK, type JWK, SignJWT } from "jose";
import { env } from "./env.ts";

export type TokenRole = "authenticated" | "anon" | "service_role";

export interface TokenOptions {
  sub?: string;
  role?: TokenRole;
  email?: string;
  /** Extra or overriding claims (e.g. { aud: "other" } for negative tests). */
  claims?: Record<string, unknown>;
  /** Seconds from now; negative for an already expired token. */
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

function payload(o: TokenOptions): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const role = o.role ?? "authenticated";
  const base: Record<string, unknown> = {
    role,
    iss: o.issuer ?? env.issuer,
    aud: o.audience ?? env.audience,
    iat: now,
    exp: now + (o.expiresInSeconds ?? 600),
  };
  if (role === "authenticated") base.sub = o.sub ?? crypto.randomUUID();
  else if (o.sub) base.sub = o.sub;
  if (o.email) base.email = o.email;
  return { ...base, ...o.claims };
}

let es256: Promise<{ key: CryptoKey; kid?: string }> | undefined;

function es256Key() {
  es256 ??= (async () => {
    const raw = Deno.env.get("KAZI_DEV_JWT_PRIVATE_JWK");
    if (!raw) throw new Error("KAZI_DEV_JWT_PRIVATE_JWK is not set");
    const jwk = JSON.parse(raw) as JWK;
    const key = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
    return { key: key as CryptoKey, kid: jwk.kid };
  })();
  return es256;
}

/** An ES256 token signed with the dev key (what Supabase Auth's asymmetric keys produce). */
export async function mintEs256(o: TokenOptions = {}): Promise<string> {
  const { key, kid } = await es256Key();
  return new SignJWT(payload(o)).setProtectedHeader({ alg: "ES256", typ: "JWT", ...(kid ? { kid } : {}) }).sign(key);
}

/** An HS256 token signed with the legacy shared secret. */
export function mintHs256(o: TokenOptions = {}): Promise<string> {
  const secret = Deno.env.get("KAZI_JWT_SECRET");
  if (!secret) throw new Error("KAZI_JWT_SECRET is not set");
  return new SignJWT(payload(o)).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(
    new TextEncoder().encode(secret),
  );
}

/** A user token, by whichever signing method the environment provides (ES256 preferred). */
export function userToken(sub: string, o: Omit<TokenOptions, "sub" | "role"> = {}): Promise<string> {
  return Deno.env.get("KAZI_DEV_JWT_PRIVATE_JWK") ? mintEs256({ ...o, sub }) : mintHs256({ ...o, sub });
}

/** The anon "API key" a browser client is created with. */
export function anonToken(): Promise<string> {
  return Deno.env.get("KAZI_DEV_JWT_PRIVATE_JWK") ? mintEs256({ role: "anon" }) : mintHs256({ role: "anon" });
}
