import assert from "node:assert/strict";
import fc from "fast-check";
import { FIELD_SPECS, maskField, normaliseField, PII_FIELDS, type PiiField } from "./fields.ts";
import { nationalIdSchema, digitsSchema } from "./digits.ts";
import { normalisePhone } from "./phone.ts";

const digit = fc.constantFrom(..."0123456789");
const letter = fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ");
const digits = (min: number, max: number) => fc.array(digit, { minLength: min, maxLength: max }).map((a) => a.join(""));

const kraPin = fc.tuple(fc.constantFrom("A", "P"), digits(9, 9), letter).map(([a, d, l]) => a + d + l);
const nationalId = digits(7, 8);
const bankAccount = digits(6, 20);
// Kenyan mobile ranges: 07xx xxx xxx (Safaricom/Airtel/Telkom) and 011x xxx xxx.
const kenyanMobile = fc.tuple(fc.constantFrom("70", "71", "72", "74", "79", "11"), digits(7, 7))
  .map(([p, d]) => `0${p}${d}`);

const VALID: Record<PiiField, fc.Arbitrary<string>> = {
  kra_pin: kraPin,
  national_id: nationalId,
  phone: kenyanMobile,
  bank_account: bankAccount,
};

Deno.test("examples: the documented normal forms and masks", () => {
  assert.equal(normaliseField("kra_pin", " a123456789b "), "A123456789B");
  assert.equal(maskField("kra_pin", "A123456789B"), "A12******9B");
  assert.equal(normaliseField("phone", "0712345678"), "+254712345678");
  assert.equal(normaliseField("phone", "+254 712 345 678"), "+254712345678");
  assert.equal(normaliseField("phone", "254712345678"), "+254712345678");
  assert.equal(normaliseField("phone", "0110123456"), "+254110123456");
  assert.equal(maskField("phone", "+254712345678"), "+2547******78");
  assert.equal(normaliseField("national_id", "1234 5678"), "12345678");
  assert.equal(maskField("national_id", "12345678"), "****5678");
  assert.equal(normaliseField("bank_account", "0123-456-789"), "0123456789");
  assert.equal(maskField("bank_account", "0123456789"), "****6789");
});

Deno.test("examples: invalid values are refused with a message naming the field", () => {
  const bad: Array<[PiiField, string]> = [
    ["kra_pin", "B123456789C"], ["kra_pin", "A12345678B"], ["kra_pin", "A1234567890"], ["kra_pin", ""],
    ["phone", "0202345678"], // Nairobi fixed line: not mobile
    ["phone", "071234567"], ["phone", "hello"], ["phone", "+2547123456789"],
    ["national_id", "123456"], ["national_id", "123456789"], ["national_id", "1234567a"],
    ["bank_account", "12345"], ["bank_account", "1".repeat(21)], ["bank_account", "12345x"],
    ["national_id", "'; drop table employees; --"],
  ];
  for (const [field, value] of bad) {
    const r = FIELD_SPECS[field].schema.safeParse(value);
    assert.equal(r.success, false, `${field} ${JSON.stringify(value)} must be refused`);
  }
});

Deno.test("national ID length is configurable", () => {
  const passport = digitsSchema("document number", { min: 9, max: 9 });
  assert.equal(passport.safeParse("123456789").success, true);
  assert.equal(passport.safeParse("12345678").success, false);
  assert.equal(nationalIdSchema.safeParse("1234567").success, true);
});

for (const field of PII_FIELDS) {
  Deno.test(`property (${field}): valid inputs parse, normalise is idempotent, the normal form round trips`, () => {
    fc.assert(fc.property(VALID[field], (v) => {
      const n = normaliseField(field, v);
      assert.equal(normaliseField(field, n), n);
      return true;
    }), { numRuns: 300 });
  });

  Deno.test(`property (${field}): the mask keeps only the chosen characters and never the rest`, () => {
    fc.assert(fc.property(VALID[field], (v) => {
      const n = normaliseField(field, v);
      const m = maskField(field, n);
      const shown = [...m].filter((c) => c !== "*").length;
      const allowed = field === "kra_pin" ? 5 : field === "phone" ? 7 : 4;
      assert.ok(shown <= allowed, `${m} shows ${shown} characters`);
      assert.notEqual(m, n);
      // every shown character sits where it sits in the value: no other information leaks
      if (field === "kra_pin" || field === "phone") {
        assert.equal(m.length, n.length);
        for (let i = 0; i < m.length; i++) if (m[i] !== "*") assert.equal(m[i], n[i]);
      } else {
        assert.equal(m, "****" + n.slice(-4));
      }
      return true;
    }), { numRuns: 300 });
  });

  Deno.test(`property (${field}): arbitrary strings never crash the validator and what passes is normal`, () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), VALID[field].map((v) => ` ${v.toLowerCase()} `)), (s) => {
      const r = FIELD_SPECS[field].schema.safeParse(s);
      if (r.success) assert.equal(normaliseField(field, r.data), r.data);
      return true;
    }), { numRuns: 500 });
  });
}

Deno.test("property: any E.164 phone accepted is a valid mobile and stays the same when parsed again", () => {
  fc.assert(fc.property(digits(9, 9), (d) => {
    const e = normalisePhone(`+254${d}`);
    if (e !== null) assert.equal(normalisePhone(e), e);
    return true;
  }), { numRuns: 500 });
});
