// Signs a token for a user in the database the way Supabase Auth would: the
// same base claims, then our custom access token hook, then ES256 with the
// local private key. Local keys only; used by `npm run token` and the tests.
import { randomUUID } from "node:crypto";
import { importJWK, SignJWT } from "jose";
import type pg from "pg";

export interface DevTokenKeys {
  KAZI_DEV_JWT_PRIVATE_JWK: string;
  KAZI_JWT_ISSUER: string;
  KAZI_JWT_AUDIENCE: string;
}

export type Claims = Record<string, unknown>;

export async function claimsFor(client: pg.Client, email: string, keys: DevTokenKeys, ttlSeconds = 3600): Promise<Claims> {
  const { rows } = await client.query(
    "select id, email, raw_app_meta_data, raw_user_meta_data from auth.users where lower(email) = lower($1)",
    [email],
  );
  if (!rows.length) throw new Error(`no user with email ${email}`);
  const user = rows[0];
  const now = Math.floor(Date.now() / 1000);
  const base: Claims = {
    iss: keys.KAZI_JWT_ISSUER,
    aud: keys.KAZI_JWT_AUDIENCE,
    sub: user.id,
    email: user.email,
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: randomUUID(),
    is_anonymous: false,
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    iat: now,
    exp: now + ttlSeconds,
  };
  const { rows: hook } = await client.query(
    "select to_regprocedure('public.custom_access_token_hook(jsonb)') is not null as present",
  );
  if (!hook[0].present) return base;
  const { rows: out } = await client.query("select public.custom_access_token_hook($1::jsonb) as result", [
    JSON.stringify({ user_id: user.id, claims: base, authentication_method: "password" }),
  ]);
  return (out[0].result?.claims ?? base) as Claims;
}

export async function signDevToken(claims: Claims, keys: DevTokenKeys): Promise<string> {
  const jwk = JSON.parse(keys.KAZI_DEV_JWT_PRIVATE_JWK);
  const key = await importJWK(jwk, "ES256");
  return await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" }).sign(key);
}
