// The seed data must pass the same validators the APIs use, be deterministic
// for a seed, and keep per-tenant identifiers unique (the database enforces
// one KRA PIN and one national ID per tenant).
import assert from "node:assert/strict";
import fc from "fast-check";
import { FIELD_SPECS, PII_FIELDS } from "../../functions/_shared/pii/fields.ts";
import { bankCodeSchema, branchCodeSchema } from "../../functions/_shared/pii/digits.ts";
import { normalisePhone } from "../../functions/_shared/pii/phone.ts";
import { BANKS, employeeSeeds, employeesPerTenant, MOBILE_PREFIXES, tenantSeed } from "./kenyan-data.ts";

const take = (seed: string, t: number, n: number) => [...employeeSeeds(seed, tenantSeed(seed, t), n)];

Deno.test("property: every generated protected value validates with the shared PII validators", () => {
  fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.nat(500), (seed, t) => {
    for (const e of take(seed, t, 20)) {
      for (const field of PII_FIELDS) {
        const r = FIELD_SPECS[field].schema.safeParse(e.pii[field]);
        assert.ok(r.success, `${field} ${JSON.stringify(e.pii[field])} must validate`);
      }
      assert.ok(bankCodeSchema.safeParse(e.bankCode).success, e.bankCode);
      assert.ok(branchCodeSchema.safeParse(e.branchCode).success, e.branchCode);
    }
    return true;
  }), { numRuns: 200 });
});

Deno.test("every Safaricom and Airtel prefix we use is a valid Kenyan mobile range", () => {
  for (const prefix of [...MOBILE_PREFIXES.safaricom, ...MOBILE_PREFIXES.airtel]) {
    for (const tail of ["000000", "123456", "999999"]) {
      assert.equal(normalisePhone(`0${prefix}${tail}`), `+254${prefix}${tail}`, `0${prefix}${tail}`);
    }
  }
});

Deno.test("every generated row fits the employees table's own checks", () => {
  for (const e of take("checks", 0, 2000)) {
    assert.match(e.employeeNumber, /^EMP-\d{7}$/);
    assert.ok(e.firstName.trim().length >= 1 && e.lastName.trim().length >= 1);
    assert.ok(e.dateOfBirth > "1900-01-01" && e.employmentStartDate > e.dateOfBirth);
    assert.ok(["active", "on_leave", "suspended", "terminated"].includes(e.status));
    assert.match(e.bankCode, /^[0-9]{2,4}$/);
    assert.match(e.branchCode, /^[0-9]{3}$/);
    const bank = BANKS.find((b) => b.code === e.bankCode)!;
    assert.equal(e.pii.bank_account.length, bank.accountDigits);
  }
});

Deno.test("one seed gives the same tenants and employees; another seed gives others", () => {
  assert.deepEqual(tenantSeed("42", 3), tenantSeed("42", 3));
  assert.deepEqual(take("42", 3, 50), take("42", 3, 50));
  assert.notDeepEqual(take("42", 3, 50), take("43", 3, 50));
  assert.notEqual(tenantSeed("42", 3).id, tenantSeed("42", 4).id);
  // a prefix of a longer run is the shorter run: batch sizes never change the data
  assert.deepEqual(take("42", 1, 100).slice(0, 30), take("42", 1, 30));
});

Deno.test("KRA PINs, national IDs, ids and employee numbers are unique within a tenant", () => {
  const rows = take("unique", 0, 100_000);
  for (const key of ["kra", "nid", "id", "number"] as const) {
    const values = rows.map((e) =>
      key === "kra" ? e.pii.kra_pin.slice(0, 10) : key === "nid" ? e.pii.national_id : key === "id" ? e.id : e.employeeNumber
    );
    assert.equal(new Set(values).size, rows.length, `${key} must not repeat`);
  }
});

Deno.test("tenant slugs fit the tenants.slug check and differ across tenants and seeds", () => {
  const slugs = new Set<string>();
  for (const seed of ["1", "2"]) {
    for (let t = 0; t < 500; t++) {
      const { slug, name } = tenantSeed(seed, t);
      assert.match(slug, /^[a-z0-9][a-z0-9-]{1,62}$/);
      assert.ok(name.length <= 200);
      slugs.add(slug);
    }
  }
  assert.equal(slugs.size, 1000);
});

Deno.test("employees spread over tenants: nothing lost, sizes differ by at most one", () => {
  fc.assert(fc.property(fc.nat(100_000), fc.integer({ min: 1, max: 500 }), (m, n) => {
    const sizes = employeesPerTenant(m, n);
    assert.equal(sizes.reduce((a, b) => a + b, 0), m);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    return true;
  }));
});
