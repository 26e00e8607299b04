// Attack 1, tokens: every forged, stale or misused token is refused with
// 401/403 by every function, never with data, and every refusal leaves an
// audit row naming the reason. The target is the victim tenant's employee
// list (and its equivalents in onboarding and support), requested with the
// identity of that tenant's owner wherever the token names a user, so an
// attack that worked would return the owner's view of the data.
import assert from "node:assert/strict";
import { base64url, importJWK, type JWK, SignJWT } from "jose";
import { sql } from "kysely";
import { env } from "../integration/_support/env.ts";
import { mintEs256, mintHs256, userToken } from "../integration/_support/tokens.ts";
import { addMember, createUser, seedTenant } from "../../functions/admin/test-fixtures.ts";
import { attackTest, withFixtures } from "./_support/attack-test.ts";
import { assertEnvelope, auditOf, tagged } from "./_support/http.ts";

/** Signing keys as well as the stack: tokens are minted here. */
const TOKEN_STACK = ["KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_JWKS", "KAZI_DEV_JWT_PRIVATE_JWK", "KAZI_JWT_SECRET", "KAZI_KEKS"];

const enc = (o: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(o)));
const now = () => Math.floor(Date.now() / 1000);

function claims(sub: string, over: Record<string, unknown> = {}) {
  return { sub, role: "authenticated", iss: env.issuer, aud: env.audience, iat: now(), exp: now() + 600, ...over };
}

/** HS256 over the given key bytes (any "secret" an attacker picks). */
function hs256With(key: Uint8Array, payload: Record<string, unknown>) {
  return new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
}

async function publicKeyForms(): Promise<{ jwkJson: Uint8Array; pem: Uint8Array; kid?: string }> {
  const pub = (JSON.parse(Deno.env.get("KAZI_JWKS")!) as { keys: JWK[] }).keys[0];
  const key = await importJWK({ ...pub, alg: "ES256" }, "ES256", { extractable: true }) as CryptoKey;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", key));
  const b64 = btoa(String.fromCharCode(...spki)).replace(/(.{64})/g, "$1\n");
  return {
    jwkJson: new TextEncoder().encode(JSON.stringify(pub)),
    pem: new TextEncoder().encode(`-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`),
    kid: pub.kid,
  };
}

interface TokenCase {
  name: string;
  /** The Authorization header value, or null for none. */
  header: () => Promise<string | null>;
  status: 401 | 403;
  /** The reason the audit row must carry (one of, where jose reports it either way). */
  reason: string | string[];
  /** The claim at fault the audit row must name, where the reason is about one. */
  claim?: string;
}

attackTest({ name: "tokens: every forged, stale or misused token is refused (401/403, envelope, no data) by every function and audited", needs: TOKEN_STACK }, withFixtures(async (f) => {
  const a = await seedTenant(f.db, f.vault, 1);
  const owner = a.users.owner.id;
  const secretMarkers = [a.employees[0].last_name, ...Object.values(a.employees[0].pii)];
  const pk = await publicKeyForms();
  const valid = await userToken(owner);
  const [h, p] = valid.split(".");
  const otherEs256 = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])).privateKey;

  const cases: TokenCase[] = [
    { name: "no token", header: async () => null, status: 401, reason: "missing_token" },
    { name: "empty bearer", header: async () => "Bearer ", status: 401, reason: "missing_token" },
    { name: "basic scheme", header: async () => `Basic ${btoa("owner:password")}`, status: 401, reason: "missing_token" },
    { name: "malformed: one segment", header: async () => "Bearer notajwt", status: 401, reason: "malformed_token" },
    { name: "malformed: garbage segments", header: async () => "Bearer a.b.c", status: 401, reason: "malformed_token" },
    { name: "malformed: header not JSON", header: async () => `Bearer ${base64url.encode("{not json")}.${p}.x`, status: 401, reason: "malformed_token" },
    { name: "malformed: oversized", header: async () => `Bearer ${h}.${"A".repeat(10_000)}.x`, status: 401, reason: "malformed_token" },
    { name: "alg none, no signature", header: async () => `Bearer ${enc({ alg: "none", typ: "JWT" })}.${enc(claims(owner))}.`, status: 401, reason: "alg_not_allowed" },
    { name: "alg None (case trick)", header: async () => `Bearer ${enc({ alg: "None", typ: "JWT" })}.${enc(claims(owner))}.`, status: 401, reason: "alg_not_allowed" },
    { name: "alg HS512 with the real secret", header: async () => `Bearer ${await new SignJWT(claims(owner)).setProtectedHeader({ alg: "HS512" }).sign(new TextEncoder().encode(Deno.env.get("KAZI_JWT_SECRET")!))}`, status: 401, reason: "alg_not_allowed" },
    { name: "HS256 signed with the public JWK (algorithm confusion)", header: async () => `Bearer ${await hs256With(pk.jwkJson, claims(owner))}`, status: 401, reason: "bad_signature" },
    { name: "HS256 signed with the public PEM (algorithm confusion)", header: async () => `Bearer ${await hs256With(pk.pem, claims(owner))}`, status: 401, reason: "bad_signature" },
    { name: "HS256 with a wrong secret", header: async () => `Bearer ${await hs256With(crypto.getRandomValues(new Uint8Array(48)), claims(owner))}`, status: 401, reason: "bad_signature" },
    { name: "ES256 by another key claiming the real kid", header: async () => `Bearer ${await new SignJWT(claims(owner)).setProtectedHeader({ alg: "ES256", kid: pk.kid }).sign(otherEs256)}`, status: 401, reason: "bad_signature" },
    { name: "valid signature, payload swapped", header: async () => `Bearer ${h}.${enc(claims(a.users.employee.id))}.${valid.split(".")[2]}`, status: 401, reason: "bad_signature" },
    { name: "valid token with role edited to service_role (unsigned edit)", header: async () => `Bearer ${h}.${enc({ ...JSON.parse(new TextDecoder().decode(base64url.decode(p))), role: "service_role" })}.${valid.split(".")[2]}`, status: 401, reason: "bad_signature" },
    { name: "expired an hour ago", header: async () => `Bearer ${await mintEs256({ sub: owner, expiresInSeconds: -3600 })}`, status: 401, reason: "expired" },
    { name: "expired, HS256", header: async () => `Bearer ${await mintHs256({ sub: owner, expiresInSeconds: -60 })}`, status: 401, reason: "expired" },
    { name: "not yet valid (nbf in an hour)", header: async () => `Bearer ${await mintEs256({ sub: owner, claims: { nbf: now() + 3600 } })}`, status: 401, reason: "not_yet_valid" },
    { name: "wrong issuer", header: async () => `Bearer ${await mintEs256({ sub: owner, issuer: "https://evil.example/auth/v1" })}`, status: 401, reason: "wrong_issuer" },
    { name: "wrong audience", header: async () => `Bearer ${await mintEs256({ sub: owner, audience: "service" })}`, status: 401, reason: "wrong_audience" },
    { name: "no exp claim", header: async () => `Bearer ${await new SignJWT({ sub: owner, role: "authenticated", iss: env.issuer, aud: env.audience }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(Deno.env.get("KAZI_JWT_SECRET")!))}`, status: 401, reason: "missing_claim", claim: "exp" },
    { name: "role anon", header: async () => `Bearer ${await mintEs256({ role: "anon" })}`, status: 401, reason: "wrong_role" },
    { name: "role postgres", header: async () => `Bearer ${await mintEs256({ sub: owner, claims: { role: "postgres" } })}`, status: 401, reason: "wrong_role" },
    { name: "sub not a uuid", header: async () => `Bearer ${await mintEs256({ claims: { sub: "' or 1=1 --" } })}`, status: 401, reason: "missing_claim", claim: "sub" },
    { name: "role raised to service_role, validly signed", header: async () => `Bearer ${await mintEs256({ sub: owner, role: "service_role" })}`, status: 403, reason: "service_role_not_allowed" },
    { name: "role raised to service_role, HS256", header: async () => `Bearer ${await mintHs256({ role: "service_role" })}`, status: 403, reason: "service_role_not_allowed" },
  ];

  const targets = [
    { fn: "admin", path: `/tenants/${a.tenantId}/employees` },
    { fn: "onboarding", path: `/cases?tenant_id=${a.tenantId}` },
    { fn: "support", path: `/tenants/${a.tenantId}/tickets` },
  ];
  let attacks = 0;
  for (const t of targets) {
    for (const c of cases) {
      const auth = await c.header();
      const what = `${t.fn} ${c.name}`;
      const res = await tagged(t.fn, t.path, { headers: auth === null ? {} : { authorization: auth } });
      assert.equal(res.status, c.status, `${what}: ${JSON.stringify(res.body)}`);
      assertEnvelope(res, what);
      assert.equal(res.body.error.code, c.status === 401 ? "unauthorized" : "forbidden", what);
      const text = JSON.stringify(res.body);
      assert.ok(!secretMarkers.some((m) => text.includes(m)), `${what}: no data`);
      assert.ok(!/token rejected|jose|JW[STK]|signature/i.test(res.body.error.message), `${what}: the reason stays server-side`);
      const rows = await auditOf(f.db, res.requestId);
      assert.equal(rows.length, 1, `${what}: exactly one audit row, got ${JSON.stringify(rows)}`);
      assert.equal(rows[0].action, c.status === 403 ? "auth.role_refused" : "auth.token_rejected", what);
      assert.equal(rows[0].outcome, "denied", what);
      assert.ok([c.reason].flat().includes(rows[0].details.reason as string), `${what}: audited reason ${rows[0].details.reason}`);
      if (c.claim) assert.equal(rows[0].details.claim, c.claim, `${what}: the audit row names the claim`);
      assert.ok(!JSON.stringify(rows[0]).includes(auth?.slice(7, 40) || "\u0000"), `${what}: the token is not in the audit row`);
      attacks++;
    }
  }
  assert.equal(attacks, cases.length * targets.length);
}));

attackTest({ name: "tokens: a deleted user's valid token and a token of a member removed a second ago get 403 and no data, audited", needs: TOKEN_STACK }, withFixtures(async (f) => {
  const a = await seedTenant(f.db, f.vault, 1);
  const markers = [a.employees[0].last_name, ...Object.values(a.employees[0].pii)];
  const targets = [
    { fn: "admin", path: `/tenants/${a.tenantId}/employees`, action: /employee/ },
    { fn: "admin", path: `/tenants/${a.tenantId}/members`, action: /member/ },
    { fn: "support", path: `/tenants/${a.tenantId}/tickets`, action: /ticket/ },
    { fn: "onboarding", path: `/cases?tenant_id=${a.tenantId}`, action: /case/ },
  ];
  const deleted = await addMember(f.db, a.tenantId, "owner", "doomed");
  const removed = await addMember(f.db, a.tenantId, "admin", "removed");
  // Tokens minted while both were members, with the hook's tenant claim a stale UI hint would carry.
  const tenantsClaim = (role: string) => ({ app_metadata: { tenants: [{ id: a.tenantId, role }] } });
  const deletedToken = await userToken(deleted.id, { claims: tenantsClaim("owner") });
  const removedToken = await userToken(removed.id, { claims: tenantsClaim("admin") });
  // sanity: while they are members the same tokens do read the data
  const before = await tagged("admin", `/tenants/${a.tenantId}/employees`, { token: removedToken });
  assert.equal(before.status, 200, "the token works while its user is a member");
  await sql`delete from public.memberships where user_id = ${deleted.id}::uuid`.execute(f.db);
  await sql`delete from auth.users where id = ${deleted.id}::uuid`.execute(f.db);
  await sql`delete from public.memberships where user_id = ${removed.id}::uuid and tenant_id = ${a.tenantId}::uuid`.execute(f.db);
  const outsider = await createUser(f.db, "outsider");
  for (const [who, token, id] of [["deleted user", deletedToken, deleted.id], ["removed member", removedToken, removed.id], ["never a member", await userToken(outsider.id), outsider.id]] as const) {
    for (const t of targets) {
      const what = `${who} ${t.fn} ${t.path}`;
      const res = await tagged(t.fn, t.path, { token });
      assert.ok(res.status === 403 || res.status === 401, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
      assertEnvelope(res, what);
      const text = JSON.stringify(res.body);
      assert.ok(!markers.some((m) => text.includes(m)), `${what}: no data`);
      const rows = await auditOf(f.db, res.requestId);
      assert.ok(rows.some((r) => r.outcome === "denied" && r.actor_id === id), `${what}: a denied audit row names the caller: ${JSON.stringify(rows)}`);
    }
  }
}));
