// Attack 4, input, at the validators: every zod schema the functions export
// (found by importing every function module, so a new schema is fuzzed
// without editing this file) is fed arbitrary values by fast-check. A schema
// never throws (it answers success or a list of issues), and what it accepts
// is canonical: parsing its own output gives the same output, so a value
// normalised once (a KRA PIN upper-cased, a phone number in E.164) is stored
// in one form only. Kenyan-format validators also get near-valid inputs.
// Runs are bounded so the suite stays fast.
import assert from "node:assert/strict";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { INJECTION_STRINGS } from "./_support/injection.ts";

const functionsDir = fileURLToPath(new URL("../../functions/", import.meta.url));
// Entry points boot (read secrets, open pools); generated types and test helpers hold no validators.
const SKIP = /(\.test|\/app|\/index|\/boot|test-fixtures|test-support|database\.generated)\.ts$/;

interface Schema {
  name: string;
  safeParse(v: unknown): { success: boolean; data?: unknown };
}

async function exportedSchemas(): Promise<Schema[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}${e.name}`;
      if (e.isDirectory) walk(`${p}/`);
      else if (p.endsWith(".ts") && !SKIP.test(p)) files.push(p);
    }
  };
  walk(functionsDir);
  const out: Schema[] = [];
  for (const f of files.sort()) {
    const mod = await import(`file://${f}`);
    for (const [name, v] of Object.entries(mod)) {
      if (v && typeof (v as Schema).safeParse === "function") {
        out.push({ name: `${f.slice(functionsDir.length)}:${name}`, safeParse: (x) => (v as Schema).safeParse(x) });
      }
    }
  }
  return out;
}

// Outputs that are not inputs by design: a schema that decodes (a cursor
// string into its position) is exempt from the round trip, not from fuzzing.
const NOT_ROUND_TRIPPABLE = /:(ListCursor|ListQuery|pageQuerySchema)$/;

const anyValue = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom(...INJECTION_STRINGS),
  fc.dictionary(fc.constantFrom("tenant_id", "role", "field", "value", "reason", "token", "fields", "__proto__", "constructor", "first_name", "kra_pin", "limit", "cursor"), fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.integer(), fc.constant(null), fc.constantFrom(...INJECTION_STRINGS))),
);

Deno.test("schema fuzz: every exported zod schema answers arbitrary input without throwing, and what it accepts is canonical", async () => {
  const schemas = await exportedSchemas();
  assert.ok(schemas.length >= 40, `schemas found: ${schemas.length}`);
  let runs = 0;
  for (const s of schemas) {
    fc.assert(
      fc.property(anyValue, (v) => {
        runs++;
        const r = s.safeParse(v);
        assert.equal(typeof r.success, "boolean", s.name);
        if (r.success && !NOT_ROUND_TRIPPABLE.test(s.name)) {
          const again = s.safeParse(r.data);
          assert.ok(again.success, `${s.name}: its own output ${JSON.stringify(r.data)} is accepted`);
          assert.deepEqual(again.data, r.data, `${s.name}: parsing is idempotent`);
        }
      }),
      { numRuns: 120, seed: 7_2026 },
    );
  }
  console.log(`schema fuzz: ${schemas.length} schemas, ${runs} inputs`);
});

Deno.test("schema fuzz: Kenyan-format validators accept only canonical, bounded values from near-valid input", async () => {
  const { kraPinSchema } = await import("../../functions/_shared/pii/kra-pin.ts");
  const { phoneSchema } = await import("../../functions/_shared/pii/phone.ts");
  const { nationalIdSchema, bankAccountSchema } = await import("../../functions/_shared/pii/digits.ts");
  const noise = fc.constantFrom("", " ", "-", "\t", "\u00a0", "\u200b", "\u0000", "'", "%", "\u202e");
  const withNoise = (core: fc.Arbitrary<string>) =>
    fc.tuple(noise, core, noise).map(([a, c, b]) => `${a}${c}${b}`);
  const cases: { name: string; schema: Schema; input: fc.Arbitrary<string>; canonical: RegExp }[] = [
    { name: "KRA PIN", schema: kraPinSchema as unknown as Schema, input: withNoise(fc.stringMatching(/^[AaPpXx][0-9]{8,10}[A-Za-z0-9]$/)), canonical: /^[AP][0-9]{9}[A-Z]$/ },
    { name: "phone", schema: phoneSchema as unknown as Schema, input: withNoise(fc.stringMatching(/^(\+254|0|254)?[17][0-9 ]{8,10}$/)), canonical: /^\+254[17][0-9]{8}$/ },
    { name: "national ID", schema: nationalIdSchema as unknown as Schema, input: withNoise(fc.stringMatching(/^[0-9 ]{6,10}$/)), canonical: /^[0-9]{7,8}$/ },
    { name: "bank account", schema: bankAccountSchema as unknown as Schema, input: withNoise(fc.stringMatching(/^[0-9 -]{5,22}$/)), canonical: /^[0-9]{6,20}$/ },
  ];
  for (const c of cases) {
    let accepted = 0;
    fc.assert(
      fc.property(c.input, (v) => {
        const r = c.schema.safeParse(v);
        if (!r.success) return;
        accepted++;
        assert.match(String(r.data), c.canonical, `${c.name}: ${JSON.stringify(v)} → ${JSON.stringify(r.data)}`);
      }),
      { numRuns: 300, seed: 11_2026 },
    );
    assert.ok(accepted > 0, `${c.name}: some near-valid inputs are accepted (the generator reaches the valid space)`);
  }
});
