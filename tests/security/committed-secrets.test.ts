// Attack 7, secrets in the repository: nothing that is or makes a secret is
// committed — no .env file, no private key (PEM or JWK with its private
// part), no generated key material (KEKs, blind-index or JWT secrets as the
// tooling writes them) — and .gitignore keeps the places the tooling writes
// secrets to (.env.local, .kazi/) out of git. secretlint (in npm test) scans
// for provider tokens; this checks Kazi's own kinds of secret, and the
// checker is shown able to fail.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

async function git(...args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("git", { args, cwd: repoRoot, stdout: "piped", stderr: "piped" }).output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout) };
}

/** Files git tracks (committed or staged), relative to the repository root. */
async function trackedFiles(): Promise<string[]> {
  return (await git("ls-files", "-z")).out.split("\0").filter(Boolean);
}

const SECRET_FILE = [
  /(^|\/)\.env(\.[^/]*)?$/, // .env, .env.local, .env.production (…but .env.example is fine)
  /\.(pem|key|p12|pfx|jks)$/i,
  /(^|\/)id_(rsa|ed25519|ecdsa)$/,
  /(^|\/)\.kazi\//,
];

export function isSecretFileName(path: string): boolean {
  return !/\.env\.example$/.test(path) && SECRET_FILE.some((r) => r.test(path));
}

// Assembled so this file does not match itself.
const PEM_PRIVATE = new RegExp(["-----BEGIN ", "(RSA |EC |ENCRYPTED |OPENSSH )?PRIVATE KEY-----"].join(""));
const CONTENT_RULES: { name: string; re: RegExp }[] = [
  { name: "PEM private key", re: PEM_PRIVATE },
  // a JWK carrying its private scalar: "d" next to "kty"/"crv"/"x"
  { name: "private JWK", re: /"d"\s*:\s*"[A-Za-z0-9_-]{32,}"[^}]*"(kty|crv|x)"|"(kty|crv|x)"[^}]*"d"\s*:\s*"[A-Za-z0-9_-]{32,}"/ },
  // KEKs as the tooling writes them: KAZI_KEKS=1:<44 base64 chars>
  { name: "KEK value", re: /KAZI_KEKS\s*[=:]\s*['"]?\d+:[A-Za-z0-9+/]{43}=/ },
  { name: "blind-index or JWT secret value", re: /KAZI_(BLIND_INDEX_KEY|JWT_SECRET)\s*[=:]\s*['"]?[A-Za-z0-9+/_-]{32,}/ },
  { name: "embedded database password", re: /KAZI_EMBEDDED_DB_PASSWORD\s*[=:]\s*['"]?[A-Za-z0-9_-]{16,}/ },
];

export function secretsIn(text: string): string[] {
  return CONTENT_RULES.filter((r) => r.re.test(text)).map((r) => r.name);
}

Deno.test("secrets: the checkers recognise what they look for (so the repository check can fail)", () => {
  for (const f of [".env", ".env.local", "config/.env.production", "keys/dev.pem", ".kazi/pgdata/PG_VERSION", "id_ed25519"]) {
    assert.ok(isSecretFileName(f), f);
  }
  for (const f of [".env.example", "README.md", "functions/_shared/crypto/kek.ts", "supabase/config.toml"]) assert.ok(!isSecretFileName(f), f);
  const d = "A".repeat(43);
  assert.deepEqual(secretsIn(`{"kty":"EC","crv":"P-256","x":"abc","d":"${d}"}`), ["private JWK"]);
  assert.deepEqual(secretsIn(`KAZI_KEKS='1:${"Q".repeat(43)}='`), ["KEK value"]);
  assert.deepEqual(secretsIn(`KAZI_JWT_SECRET=${"z".repeat(64)}`), ["blind-index or JWT secret value"]);
  assert.deepEqual(secretsIn(["-----BEGIN ", "PRIVATE KEY-----\nMIGH..."].join("")), ["PEM private key"]);
  assert.deepEqual(secretsIn(`{"kty":"EC","crv":"P-256","x":"abc","y":"def"}`), [], "a public JWK is fine");
  assert.deepEqual(secretsIn("KAZI_KEKS  key-encryption keys (`version:base64`, comma-separated)"), [], "documentation is fine");
});

Deno.test("secrets: no committed file is an env file, a private key or generated key material", async () => {
  const files = await trackedFiles();
  assert.ok(files.length > 50, `git ls-files works: ${files.length}`);
  assert.deepEqual(files.filter(isSecretFileName), [], "no secret-bearing file name is tracked");
  const found: string[] = [];
  for (const f of files) {
    if (/^(node_modules|package-lock\.json)/.test(f)) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(`${repoRoot}${f}`);
    } catch {
      continue; // deleted in the work tree, or binary
    }
    for (const hit of secretsIn(text)) found.push(`${f}: ${hit}`);
  }
  assert.deepEqual(found, [], "no tracked file holds a private key or generated secret");
});

Deno.test("secrets: .gitignore keeps .env.local, other .env files and .kazi/ out of git", async () => {
  for (const path of [".env.local", ".env", ".env.production", ".kazi/pgdata/postgresql.conf", ".kazi/anything"]) {
    const r = await git("check-ignore", "-q", "--no-index", path);
    assert.equal(r.code, 0, `${path} is ignored`);
  }
  const r = await git("check-ignore", "-q", "--no-index", ".env.example");
  assert.notEqual(r.code, 0, ".env.example stays committable");
});
