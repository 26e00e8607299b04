// The client's types are the server's zod schemas, not a copy: in a scratch
// copy of the tree, renaming one field of a server schema makes `deno check`
// of the client and its examples fail at the line that uses the field, while
// the unchanged copy passes.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const CHECKED = ["packages/kazi-client/src/mod.ts", "packages/kazi-client/examples/portal-calls.ts"];

/** functions/, the client package and deno.json in a temp dir, node_modules linked. */
function scratchTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "kazi-client-types-"));
  cpSync(join(ROOT, "functions"), join(dir, "functions"), { recursive: true });
  cpSync(join(ROOT, "packages/kazi-client"), join(dir, "packages/kazi-client"), { recursive: true });
  cpSync(join(ROOT, "deno.json"), join(dir, "deno.json"));
  if (existsSync(join(ROOT, "deno.lock"))) cpSync(join(ROOT, "deno.lock"), join(dir, "deno.lock"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Replaces exactly one occurrence, so a test cannot pass by editing nothing. */
function edit(dir: string, file: string, from: string, to: string) {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  assert.equal(text.split(from).length, 2, `${file} contains ${JSON.stringify(from)} exactly once`);
  writeFileSync(path, text.replace(from, to));
}

async function denoCheck(dir: string): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", ...CHECKED],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

async function withScratch(fn: (dir: string) => Promise<void>) {
  const dir = scratchTree();
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("the unchanged copy type-checks", async () => {
  await withScratch(async (dir) => {
    const { code, output } = await denoCheck(dir);
    assert.equal(code, 0, output);
  });
});

Deno.test("renaming a field of an exported request schema (onboarding SaveDetails.first_name) breaks the client's callers", async () => {
  await withScratch(async (dir) => {
    edit(
      dir,
      "functions/onboarding/schemas.ts",
      "first_name: nullable(name(100)),",
      "given_name: nullable(name(100)),",
    );
    const { code, output } = await denoCheck(dir);
    assert.notEqual(code, 0, "deno check must fail");
    assert.match(output, /first_name/);
    assert.match(output, /portal-calls\.ts/);
  });
});

Deno.test("renaming a field of an exported response schema (support AccessGrant.state) breaks the client's callers", async () => {
  await withScratch(async (dir) => {
    edit(dir, "functions/support/schemas.ts", "  state: z.enum(GRANT_STATES)", "  grant_state: z.enum(GRANT_STATES)");
    const { code, output } = await denoCheck(dir);
    assert.notEqual(code, 0, "deno check must fail");
    assert.match(output, /'state' does not exist/);
  });
});

Deno.test("narrowing an enum the client uses (the protected fields) breaks the client's callers", async () => {
  await withScratch(async (dir) => {
    edit(
      dir,
      "functions/_shared/pii/fields.ts",
      'export const PII_FIELDS = ["kra_pin", "national_id", "phone", "bank_account"] as const;',
      'export const PII_FIELDS = ["kra_pin", "national_id", "mobile", "bank_account"] as const;',
    );
    const { code, output } = await denoCheck(dir);
    assert.notEqual(code, 0, "deno check must fail");
    assert.match(output, /"phone"/);
    assert.match(output, /portal-calls\.ts/);
  });
});
