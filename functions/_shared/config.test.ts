import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

const b64 = (n: number, fill: number) => btoa(String.fromCharCode(...new Uint8Array(n).fill(fill)));
const SECRET = "super-secret-legacy-jwt-value-0123456789";
const JWKS = JSON.stringify({
  keys: [{
    kty: "EC",
    crv: "P-256",
    x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    kid: "k1",
    alg: "ES256",
  }],
});

const full = {
  // secretlint-disable-next-line -- a made-up password the test proves is never printed
  SUPABASE_DB_URL: "postgresql://postgres:db-password-xyz@127.0.0.1:5432/kazi",
  KAZI_JWT_SECRET: SECRET,
  KAZI_JWKS: JWKS,
  KAZI_KEKS: `1:${b64(32, 1)},2:${b64(32, 2)}`,
  KAZI_KEK_ACTIVE: "2",
  KAZI_BLIND_INDEX_KEY: b64(32, 9),
  KAZI_ALLOWED_ORIGINS: "https://admin.kazi.example, http://localhost:5173",
};

function problems(
  env: Record<string, string | undefined>,
  parts: ("db" | "auth" | "crypto")[] = ["db", "auth", "crypto"],
): string[] {
  try {
    loadConfig(env, parts, {
      readTextFile: () => {
        throw new Error("no fs in tests");
      },
    });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

Deno.test("a complete environment parses", () => {
  const c = loadConfig(full, ["db", "auth", "crypto"]);
  assert.equal(c.db.url, full.SUPABASE_DB_URL);
  assert.equal(c.db.poolMax, 5);
  assert.equal(c.auth.issuer, "http://127.0.0.1:54321/auth/v1");
  assert.equal(c.auth.audience, "authenticated");
  assert.equal(new TextDecoder().decode(c.auth.hs256Secret), SECRET);
  assert.equal(c.auth.jwks?.keys.length, 1);
  assert.equal(c.crypto.keks.size, 2);
  assert.deepEqual(c.http.allowedOrigins, ["https://admin.kazi.example", "http://localhost:5173"]);
  assert.equal(c.http.bodyLimitBytes, 65536);
});

Deno.test("a function asks only for what it needs (health: db + http)", () => {
  const c = loadConfig({ SUPABASE_DB_URL: full.SUPABASE_DB_URL }, ["db"]);
  assert.equal(c.auth, undefined);
  assert.deepEqual(c.http.allowedOrigins, []);
});

Deno.test("a function works on 16 requests at once unless KAZI_MAX_CONCURRENT_REQUESTS says otherwise", () => {
  assert.equal(loadConfig(full, []).http.maxConcurrentRequests, 16);
  assert.equal(loadConfig({ ...full, KAZI_MAX_CONCURRENT_REQUESTS: "4" }, []).http.maxConcurrentRequests, 4);
  for (const bad of ["0", "-1", "1.5", "many"]) {
    assert.deepEqual(problems({ ...full, KAZI_MAX_CONCURRENT_REQUESTS: bad }, []).map((p) => p.split(":")[0]), ["KAZI_MAX_CONCURRENT_REQUESTS"], bad);
  }
});

Deno.test("prepared statements are on unless KAZI_DB_PREPARED_STATEMENTS is false; other values are refused", () => {
  assert.equal(loadConfig(full, ["db"]).db.preparedStatements, true);
  assert.equal(loadConfig({ ...full, KAZI_DB_PREPARED_STATEMENTS: "false" }, ["db"]).db.preparedStatements, false);
  assert.deepEqual(
    problems({ ...full, KAZI_DB_PREPARED_STATEMENTS: "no" }, ["db"]).map((p) => p.split(":")[0]),
    ["KAZI_DB_PREPARED_STATEMENTS"],
  );
});

Deno.test("missing variables are named, all at once", () => {
  const p = problems({});
  assert.ok(p.some((x) => x.startsWith("SUPABASE_DB_URL: is missing")), p.join("|"));
  assert.ok(p.some((x) => x.includes("at least one verification key source")), p.join("|"));
  assert.ok(
    p.some((x) => x.startsWith("KAZI_KEKS") || x.startsWith("KAZI_KEK_ACTIVE") || x.startsWith("KAZI_BLIND_INDEX_KEY")),
    p.join("|"),
  );
});

Deno.test("malformed values are reported without ever printing a value", () => {
  const cases: Record<string, string> = {
    // secretlint-disable-next-line -- made-up, as above
    SUPABASE_DB_URL: "mysql://root:db-password-xyz@h/db",
    KAZI_JWT_SECRET: "short-secret-value",
    KAZI_JWKS: '{"keys":[{"kty":"oct","k":"c2VjcmV0LXN5bW1ldHJpYy1rZXk"}]}',
    KAZI_KEKS: "1:bm90LTMyLWJ5dGVz",
    KAZI_ALLOWED_ORIGINS: "https://ok.example/path",
    KAZI_DB_POOL_MAX: "1000",
  };
  for (const [name, value] of Object.entries(cases)) {
    let message = "";
    try {
      loadConfig({ ...full, [name]: value }, ["db", "auth", "crypto"]);
    } catch (err) {
      assert.ok(err instanceof ConfigError, name);
      message = err.message;
    }
    assert.ok(message.includes(name), `${name} named: ${message}`);
    for (
      const fragment of [
        value,
        "db-password-xyz",
        SECRET,
        full.KAZI_BLIND_INDEX_KEY,
        "c2VjcmV0LXN5bW1ldHJpYy1rZXk",
        "bm90LTMyLWJ5dGVz",
      ]
    ) {
      assert.ok(!message.includes(fragment), `${name}: message leaks a value: ${message}`);
    }
  }
});

Deno.test("a private JWK in KAZI_JWKS is refused", () => {
  const priv = JSON.stringify({ keys: [{ ...JSON.parse(JWKS).keys[0], d: "private-part-should-never-be-here" }] });
  const p = problems({ ...full, KAZI_JWKS: priv });
  assert.ok(p.some((x) => x.startsWith("KAZI_JWKS:") && x.includes("public keys only")), p.join("|"));
  assert.ok(!p.join().includes("private-part"));
  assert.ok(problems({ ...full, KAZI_JWKS: "not json" }).includes("KAZI_JWKS: is not valid JSON"));
});

Deno.test("KAZI_JWKS_FILE and KAZI_JWKS_URL are key sources", () => {
  const c = loadConfig({ KAZI_JWKS_FILE: "/etc/kazi/jwks.json" }, ["auth"], { readTextFile: () => JWKS });
  assert.equal(c.auth.jwks?.keys.length, 1);
  assert.deepEqual(problems({ KAZI_JWKS_FILE: "/nope" }, ["auth"]), ["KAZI_JWKS_FILE: cannot be read"]);
  const u = loadConfig({ KAZI_JWKS_URL: "https://proj.supabase.co/auth/v1/.well-known/jwks.json" }, ["auth"]);
  assert.equal(u.auth.jwksUrl?.hostname, "proj.supabase.co");
  assert.ok(problems({ KAZI_JWKS_URL: "http://evil.example/jwks" }, ["auth"])[0].startsWith("KAZI_JWKS_URL"));
});

Deno.test("KAZI_KEK_ACTIVE must name a configured KEK", () => {
  const p = problems({ ...full, KAZI_KEK_ACTIVE: "7" }, ["crypto"]);
  assert.ok(p.some((x) => x.startsWith("KAZI_KEK_ACTIVE")), p.join("|"));
});
