// User tokens for the API bench, signed with the keys the served functions
// verify (ES256 dev key when present, else the legacy HS256 secret), and the
// same claims the direct-SQL side sets as request.jwt.claims.
import { importJWK, type JWK, SignJWT } from "jose";
import type { Claims } from "./direct-sql.ts";

let signingKey: Promise<{ alg: "ES256" | "HS256"; key: CryptoKey | Uint8Array; kid?: string }> | undefined;

function key() {
  signingKey ??= (async () => {
    const jwk = Deno.env.get("KAZI_DEV_JWT_PRIVATE_JWK");
    if (jwk) {
      const parsed = JSON.parse(jwk) as JWK;
      return { alg: "ES256" as const, key: await importJWK({ ...parsed, alg: "ES256" }, "ES256") as CryptoKey, kid: parsed.kid };
    }
    const secret = Deno.env.get("KAZI_JWT_SECRET");
    if (!secret) throw new Error("KAZI_DEV_JWT_PRIVATE_JWK or KAZI_JWT_SECRET must be set");
    return { alg: "HS256" as const, key: new TextEncoder().encode(secret) };
  })();
  return signingKey;
}

/** A one-hour token for `userId` and its claims. */
export async function tokenFor(userId: string): Promise<{ token: string; claims: Claims }> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Claims = {
    sub: userId,
    role: "authenticated",
    aud: Deno.env.get("KAZI_JWT_AUDIENCE") ?? "authenticated",
    iss: Deno.env.get("KAZI_JWT_ISSUER") ?? "http://127.0.0.1:54321/auth/v1",
    iat: now,
    exp: now + 3600,
    session_id: crypto.randomUUID(),
  };
  const { alg, key: k, kid } = await key();
  const token = await new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) }).sign(k);
  return { token, claims };
}
