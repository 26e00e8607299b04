import assert from "node:assert/strict";
import { createMemoryAuditSink } from "./audit.ts";
import { cachingVerifier, createVerifier, matchesRoute, type RejectReason, TokenRejected } from "./auth.ts";
import { createFunctionApp } from "./function-app.ts";
import { forgeToken, makeTestKeys, mintEs256, mintHs256, TEST_HS256_SECRET, validPayload } from "./test-support.ts";

const keys = await makeTestKeys();
const verifier = createVerifier(keys.auth);

/** Why the verifier refused the token, and the claim at fault if it names one. */
async function refusal(token: string): Promise<{ reason: RejectReason; claim?: string }> {
  try {
    await verifier.verify(token);
  } catch (err) {
    assert.ok(err instanceof TokenRejected, `expected TokenRejected, got ${err}`);
    return { reason: err.reason, claim: err.claim };
  }
  throw new Error("token was accepted");
}

async function rejection(token: string): Promise<RejectReason> {
  return (await refusal(token)).reason;
}

Deno.test("valid ES256 (JWKS) and HS256 (legacy secret) tokens verify", async () => {
  const sub = crypto.randomUUID();
  const es = await verifier.verify(await mintEs256(keys, { claims: { sub } }));
  assert.equal(es.sub, sub);
  assert.equal(es.role, "authenticated");
  const hs = await verifier.verify(await mintHs256({ claims: { sub } }));
  assert.equal(hs.sub, sub);
});

Deno.test("forged, expired, not-yet-valid, wrong issuer/audience/role tokens are refused", async () => {
  const otherKeys = await makeTestKeys();
  otherKeys.kid = keys.kid; // same kid, different key: a forged signature
  assert.equal(await rejection(await mintEs256(otherKeys)), "bad_signature");
  assert.equal(await rejection(await mintHs256({}, "another-secret-that-is-long-enough-000000")), "bad_signature");
  assert.equal(await rejection(await mintEs256(keys, { expiresIn: Math.floor(Date.now() / 1000) - 60 })), "expired");
  assert.equal(await rejection(await mintEs256(keys, { notBefore: "1h" })), "not_yet_valid");
  assert.equal(await rejection(await mintEs256(keys, { issuer: "https://evil.example/auth/v1" })), "wrong_issuer");
  assert.equal(await rejection(await mintEs256(keys, { audience: "service" })), "wrong_audience");
  assert.equal(await rejection(await mintEs256(keys, { claims: { role: "anon" } })), "wrong_role");
  assert.equal(await rejection(await mintEs256(keys, { claims: { role: "supabase_admin" } })), "wrong_role");
  assert.equal(await rejection(await mintEs256(keys, { claims: { sub: "not-a-uuid" } })), "missing_claim");
  // A tampered payload under a valid signature.
  const good = await mintEs256(keys);
  const [h, , s] = good.split(".");
  const evilPayload = btoa(JSON.stringify(validPayload({ role: "service_role" }))).replace(/=+$/, "").replaceAll(
    "+",
    "-",
  ).replaceAll("/", "_");
  assert.equal(await rejection(`${h}.${evilPayload}.${s}`), "bad_signature");
});

Deno.test("alg:none, unknown algs and HS256 signed with the public key are refused", async () => {
  assert.equal(await rejection(await forgeToken({ alg: "none", typ: "JWT" }, validPayload())), "alg_not_allowed");
  assert.equal(await rejection(await forgeToken({ alg: "None" }, validPayload())), "alg_not_allowed");
  assert.equal(
    await rejection(await forgeToken({ alg: "HS512" }, validPayload(), new Uint8Array(64))),
    "alg_not_allowed",
  );
  assert.equal(
    await rejection(await forgeToken({ alg: "ES384" }, validPayload(), new Uint8Array(64))),
    "alg_not_allowed",
  );
  // Algorithm confusion: an HMAC computed with the public key's JSON / coordinates as the secret.
  const pubJson = new TextEncoder().encode(JSON.stringify(keys.publicJwk));
  assert.equal(
    await rejection(await forgeToken({ alg: "HS256", kid: keys.kid }, validPayload(), pubJson)),
    "bad_signature",
  );
  const x = new TextEncoder().encode(String(keys.publicJwk.x));
  assert.equal(await rejection(await forgeToken({ alg: "HS256", kid: keys.kid }, validPayload(), x)), "bad_signature");
  // And the legacy secret really is what HS256 verifies with (the same forge with it passes).
  const okForge = await forgeToken({ alg: "HS256" }, validPayload(), new TextEncoder().encode(TEST_HS256_SECRET));
  assert.equal((await verifier.verify(okForge)).role, "authenticated");
});

Deno.test("a token without exp (or with a non-numeric one) is refused as incomplete, never as expired", async () => {
  const { exp: _, ...noExp } = validPayload();
  const secret = new TextEncoder().encode(TEST_HS256_SECRET);
  assert.deepEqual(await refusal(await forgeToken({ alg: "HS256" }, noExp, secret)), { reason: "missing_claim", claim: "exp" });
  assert.deepEqual(
    await refusal(await forgeToken({ alg: "HS256" }, validPayload({ exp: "tomorrow" }), secret)),
    { reason: "malformed_token", claim: "exp" },
  );
  const { role: __, ...noRole } = validPayload();
  assert.deepEqual(await refusal(await forgeToken({ alg: "HS256" }, noRole, secret)), { reason: "missing_claim", claim: "role" });
  assert.deepEqual(
    await refusal(await mintEs256(keys, { claims: { sub: "not-a-uuid" } })),
    { reason: "missing_claim", claim: "sub" },
  );
  // a genuinely expired token still says so
  assert.deepEqual(
    await refusal(await mintEs256(keys, { expiresIn: Math.floor(Date.now() / 1000) - 60 })),
    { reason: "expired", claim: undefined },
  );
});

Deno.test("malformed tokens are refused", async () => {
  for (const t of ["", "abc", "a.b", "a.b.c.d", "!!!.???.###", "x".repeat(9000), "eyJhbGciOiJIUzI1NiJ9.e30.sig"]) {
    const reason = await rejection(t);
    assert.ok(["malformed_token", "missing_claim", "bad_signature"].includes(reason), `${t.slice(0, 20)} → ${reason}`);
  }
});

Deno.test("an alg without a configured key source is refused", async () => {
  const hsOnly = createVerifier({ ...keys.auth, jwks: undefined });
  await assert.rejects(
    hsOnly.verify(await mintEs256(keys)),
    (e) => e instanceof TokenRejected && e.reason === "no_key_for_alg",
  );
  const jwksOnly = createVerifier({ ...keys.auth, hs256Secret: undefined });
  await assert.rejects(
    jwksOnly.verify(await mintHs256()),
    (e) => e instanceof TokenRejected && e.reason === "no_key_for_alg",
  );
});

Deno.test("matchesRoute understands :params and methods", () => {
  const routes = [{ method: "POST", path: "/tenants/:id/keys" }, { method: "GET", path: "/" }];
  assert.ok(matchesRoute(routes, "/admin", "POST", "/admin/tenants/abc/keys"));
  assert.ok(!matchesRoute(routes, "/admin", "GET", "/admin/tenants/abc/keys"));
  assert.ok(!matchesRoute(routes, "/admin", "POST", "/admin/tenants/abc/keys/x"));
  assert.ok(matchesRoute(routes, "/admin", "GET", "/admin"));
  assert.ok(!matchesRoute(routes, "/admin", "GET", "/admin/"));
});

// ---------------------------------------------------------------------------
// the middleware, through a function app

function makeApp() {
  const audit = createMemoryAuditSink();
  const app = createFunctionApp("probe", {
    http: { allowedOrigins: ["https://portal.example"], bodyLimitBytes: 1024 },
    verifier,
    audit,
    serviceRoleRoutes: [{ method: "POST", path: "/system" }],
  });
  app.get("/me", (c) => c.json({ sub: c.get("caller")?.userId, role: c.get("caller")?.role }));
  app.post("/system", (c) => c.json({ role: c.get("caller")?.role }));
  return { app, audit };
}

Deno.test("no or bad token → 401 envelope on every path, before routing, audited with ip and user agent", async () => {
  const { app, audit } = makeApp();
  const paths = ["/probe/me", "/probe/does-not-exist", "/probe", "/elsewhere"];
  for (const path of paths) {
    const res = await app.request(path, {
      headers: { "x-forwarded-for": "203.0.113.9, 10.0.0.1", "user-agent": "curl/8" },
    });
    assert.equal(res.status, 401, path);
    const body = await res.json();
    assert.equal(body.error.code, "unauthorized");
    assert.equal(body.error.request_id, res.headers.get("x-request-id"));
  }
  assert.equal(audit.events.length, paths.length);
  for (const e of audit.events) {
    assert.equal(e.action, "auth.token_rejected");
    assert.equal(e.outcome, "denied");
    assert.equal(e.ip, "203.0.113.9");
    assert.equal(e.userAgent, "curl/8");
    assert.equal((e.details as { reason: string }).reason, "missing_token");
    assert.ok(e.requestId);
  }
});

Deno.test("a refused token is audited with its reason but never the token itself", async () => {
  const { app, audit } = makeApp();
  const expired = await mintEs256(keys, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
  const res = await app.request("/probe/me", { headers: { authorization: `Bearer ${expired}` } });
  assert.equal(res.status, 401);
  const body = await res.json();
  assert.equal(body.error.message, "The access token has expired.");
  assert.equal((audit.events[0].details as { reason: string }).reason, "expired");
  const everything = JSON.stringify(audit.events) + JSON.stringify(body);
  assert.ok(!everything.includes(expired.split(".")[1]), "no part of the token is recorded");
  const none = await forgeToken({ alg: "none" }, validPayload());
  const res2 = await app.request("/probe/me", { headers: { authorization: `Bearer ${none}` } });
  assert.equal(res2.status, 401);
  assert.equal((audit.events[1].details as { reason: string }).reason, "alg_not_allowed");
  // no exp: refused, audited as a missing claim naming it, and not told it expired
  const { exp: _, ...noExp } = validPayload();
  const timeless = await forgeToken({ alg: "HS256" }, noExp, new TextEncoder().encode(TEST_HS256_SECRET));
  const res3 = await app.request("/probe/me", { headers: { authorization: `Bearer ${timeless}` } });
  assert.equal(res3.status, 401);
  assert.notEqual((await res3.json()).error.message, "The access token has expired.");
  assert.deepEqual(audit.events[2].details, { reason: "missing_claim", claim: "exp", method: "GET", path: "/probe/me" });
});

Deno.test("a valid token reaches the route with the caller set", async () => {
  const { app, audit } = makeApp();
  const sub = crypto.randomUUID();
  const res = await app.request("/probe/me", {
    headers: { authorization: `bearer ${await mintEs256(keys, { claims: { sub } })}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { sub, role: "authenticated" });
  const unknown = await app.request("/probe/nope", { headers: { authorization: `Bearer ${await mintHs256()}` } });
  assert.equal(unknown.status, 404, "with a token, an unknown path is a 404");
  assert.equal((await unknown.json()).error.code, "not_found");
  assert.equal(audit.events.length, 0);
});

Deno.test("service_role tokens only reach routes that allow them", async () => {
  const { app, audit } = makeApp();
  const service = await mintHs256({ claims: { role: "service_role" } });
  const refused = await app.request("/probe/me", { headers: { authorization: `Bearer ${service}` } });
  assert.equal(refused.status, 403);
  assert.equal(audit.events[0].action, "auth.role_refused");
  assert.equal(audit.events[0].actorRole, "service_role");
  const allowed = await app.request("/probe/system", {
    method: "POST",
    headers: { authorization: `Bearer ${service}` },
  });
  assert.equal(allowed.status, 200);
  assert.deepEqual(await allowed.json(), { role: "service_role" });
});

Deno.test("a remote JWKS (KAZI_JWKS_URL) verifies tokens; an unreachable one is 503, not 401", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json({ keys: [keys.publicJwk] }),
  );
  try {
    const remote = createVerifier({
      issuer: keys.auth.issuer,
      audience: keys.auth.audience,
      jwksUrl: new URL(`http://127.0.0.1:${server.addr.port}/jwks.json`),
    });
    const sub = crypto.randomUUID();
    assert.equal((await remote.verify(await mintEs256(keys, { claims: { sub } }))).sub, sub);
    const other = await makeTestKeys();
    await assert.rejects(
      remote.verify(await mintEs256(other)),
      (e) => e instanceof TokenRejected && e.reason === "bad_signature",
    );
  } finally {
    await server.shutdown();
  }
  const down = createVerifier({
    issuer: keys.auth.issuer,
    audience: keys.auth.audience,
    jwksUrl: new URL("http://127.0.0.1:1/jwks.json"),
  });
  await assert.rejects(
    down.verify(await mintEs256(keys)),
    (e) => e instanceof Error && (e as { code?: string }).code === "unavailable",
  );
});

Deno.test("without proxy headers the socket peer address is audited", async () => {
  const { app, audit } = makeApp();
  const res = await app.request("/probe/me", {}, {
    remoteAddr: { hostname: "192.0.2.44", port: 5555, transport: "tcp" },
  });
  assert.equal(res.status, 401);
  assert.equal(audit.events[0].ip, "192.0.2.44");
});

Deno.test("a verified token is taken at its word for the cache TTL, never past exp; refused tokens are never cached", async () => {
  let now = Date.now();
  let calls = 0;
  const inner = createVerifier(keys.auth);
  const counted = { verify: (t: string) => (calls++, inner.verify(t)) };
  const cached = cachingVerifier(counted, { ttlMs: 30_000, maxEntries: 2, now: () => now });

  const token = await mintEs256(keys, { claims: { sub: crypto.randomUUID() } });
  const first = await cached.verify(token);
  assert.equal(await cached.verify(token), first, "the same claims again");
  assert.equal(calls, 1, "without a second signature check");
  assert.throws(() => ((first as Record<string, unknown>).role = "service_role"), TypeError, "shared claims are frozen");

  now += 30_000;
  await cached.verify(token);
  assert.equal(calls, 2, "checked again after the TTL");

  // exp 10 s after the (fake) clock: the entry ends there, not at the TTL
  const shortLived = await mintEs256(keys, { expiresIn: Math.floor(now / 1000) + 10 });
  await cached.verify(shortLived);
  now += 9_000;
  await cached.verify(shortLived);
  assert.equal(calls, 3, "cached until its exp");
  now += 1_000;
  await cached.verify(shortLived).catch(() => {}); // jose's real clock decides the answer; the cache must ask it
  assert.equal(calls, 4, "at its exp the token is verified again, whatever the TTL");

  const forged = (await mintEs256(keys)).slice(0, -4) + "AAAA";
  await assert.rejects(cached.verify(forged), TokenRejected);
  await assert.rejects(cached.verify(forged), TokenRejected, "a refused token is verified (and refused) every time");

  const a = await mintEs256(keys), b = await mintEs256(keys), c = await mintEs256(keys);
  for (const t of [a, b, c]) await cached.verify(t);
  const before = calls;
  await cached.verify(a);
  assert.equal(calls, before + 1, "beyond maxEntries the oldest token is forgotten");
});

Deno.test("the verifier caches only when the config asks for it", async () => {
  const token = await mintEs256(keys);
  const plain = createVerifier(keys.auth);
  assert.notEqual(await plain.verify(token), await plain.verify(token), "no cache: verified afresh");
  const withCache = createVerifier({ ...keys.auth, verifiedTokenCacheMs: 1000 });
  assert.equal(await withCache.verify(token), await withCache.verify(token));
});
