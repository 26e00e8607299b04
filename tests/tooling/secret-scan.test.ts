// The CI secret scan must be able to fail: a committed private key or a
// connection string with a password is caught by the same configuration.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./_support.ts";

Deno.test("secretlint with the repository's rules flags a leaked secret", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kazi-leak-"));
  const leaked = join(dir, "config.ts");
  const user = "kazi", pass = ["hunter", "2", "Secret"].join(""); // assembled so this file itself stays clean
  writeFileSync(leaked, `export const url = "postgres://${user}:${pass}@db.example.com:5432/kazi";\n`);
  const out = await new Deno.Command(`${repoRoot}node_modules/.bin/secretlint`, {
    args: ["--secretlintrc", `${repoRoot}.secretlintrc.json`, leaked],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0, "the scan must fail on a leaked connection string");
  assert.match(new TextDecoder().decode(out.stdout), /PostgreSQL connection string/);
});
