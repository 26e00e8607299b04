// Helpers for the shared layer's unit tests only (never imported by a
// function): throwaway signing keys, token minting, the test database URL.

import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { AuthConfig, DbConfig } from "./config.ts";

export const TEST_ISSUER = "http://127.0.0.1:54321/auth/v1";
export const TEST_AUDIENCE = "authenticated";
export const TEST_HS256_SECRET = "test-only-legacy-jwt-secret-0123456789abcdef";

export interface TestKeys {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
  auth: AuthConfig;
}

export async function makeTestKeys(): Promise<TestKeys> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = crypto.randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  return {
    privateKey,
    publicJwk,
    kid,
    auth: {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      hs256Secret: new TextEncoder().encode(TEST_HS256_SECRET),
      jwks: { keys: [publicJwk as Record<string, unknown>] },
    },
  };
}

export interface MintOptions {
  claims?: Record<string, unknown>;
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
  notBefore?: string | number;
}

function builder(o: MintOptions) {
  const claims = { role: "authenticated", sub: crypto.randomUUID(), ...o.claims };
  const jwt = new SignJWT(claims)
    .setIssuedAt()
    .setIssuer(o.issuer ?? TEST_ISSUER)
    .setAudience(o.audience ?? TEST_AUDIENCE)
    .setExpirationTime(o.expiresIn ?? "10m");
  if (o.notBefore !== undefined) jwt.setNotBefore(o.notBefore);
  return { jwt, claims };
}

export function mintEs256(keys: TestKeys, o: MintOptions = {}): Promise<string> {
  const { jwt } = builder(o);
  return jwt.setProtectedHeader({ alg: "ES256", kid: keys.kid, typ: "JWT" }).sign(keys.privateKey);
}

export function mintHs256(o: MintOptions = {}, secret = TEST_HS256_SECRET): Promise<string> {
  const { jwt } = builder(o);
  return jwt.setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Hand-built token with an arbitrary header, for alg:none and confusion attacks. */
export async function forgeToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  hmacKey?: Uint8Array,
): Promise<string> {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  if (!hmacKey) return `${signingInput}.`;
  const key = await crypto.subtle.importKey("raw", hmacKey as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput)));
  return `${signingInput}.${b64url(sig)}`;
}

export function validPayload(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: crypto.randomUUID(),
    role: "authenticated",
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: now,
    exp: now + 600,
    ...extra,
  };
}

/** The test database (superuser URL), or undefined when not provided. */
export function testDbUrl(): string | undefined {
  return Deno.env.get("KAZI_TEST_DB_URL") || undefined;
}

export function testDbConfig(url: string, overrides: Partial<DbConfig> = {}): DbConfig {
  return { url, poolMax: 2, connectTimeoutMs: 2000, statementTimeoutMs: 5000, ...overrides };
}

export const NO_DB_MESSAGE = "KAZI_TEST_DB_URL is not set: skipping tests that need the database";
