import assert from "node:assert/strict";
import { defaultEmployeeNumber } from "./approval.ts";
import { ApproveBody, dateOfBirthSchema, ListCursor, SaveDetailsBody } from "./schemas.ts";

Deno.test("details are normalised the way they are encrypted and indexed", () => {
  const parsed = SaveDetailsBody.parse({
    kra_pin: "a 123-456-789 b",
    phone: "0712 345 678",
    national_id: "12 345 678",
    bank_account: "01-2345-6789",
    first_name: "  Wanjiku ",
    other_names: null,
  });
  assert.deepEqual(parsed, {
    kra_pin: "A123456789B",
    phone: "+254712345678",
    national_id: "12345678",
    bank_account: "0123456789",
    first_name: "Wanjiku",
    other_names: null,
  });
});

Deno.test("details: unknown keys and an empty body are refused; each bad field on its own path", () => {
  assert.equal(SaveDetailsBody.safeParse({}).success, false);
  assert.equal(SaveDetailsBody.safeParse({ kra_pin_ciphertext: "x" }).success, false);
  const r = SaveDetailsBody.safeParse({ bank_code: "1", branch_code: "1234", first_name: "x".repeat(101) });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues.map((i) => i.path.join(".")).sort(), ["bank_code", "branch_code", "first_name"]);
});

Deno.test("date of birth: a real date, at least 16 years ago, after 1900", () => {
  assert.equal(dateOfBirthSchema.safeParse("1994-05-17").success, true);
  for (const bad of ["1994-02-30", "17/05/1994", "1900-01-01", new Date().toISOString().slice(0, 10), "2999-01-01"]) {
    assert.equal(dateOfBirthSchema.safeParse(bad).success, false, bad);
  }
});

Deno.test("approval needs a non-blank reason; the default employee number comes from the case id", () => {
  assert.equal(ApproveBody.safeParse({}).success, false);
  assert.equal(ApproveBody.safeParse({ reason: "   " }).success, false);
  assert.equal(ApproveBody.safeParse({ reason: "ok", employee_number: "" }).success, false);
  assert.equal(defaultEmployeeNumber("7d6f0c1e-3b0a-4c57-9f55-2b8f4f0d1a22"), "ONB-7D6F0C1E");
});

Deno.test("list cursor keys carry microsecond UTC timestamps only", () => {
  const id = crypto.randomUUID();
  assert.equal(ListCursor.safeParse({ t: "2026-11-26T10:00:00.123456Z", id }).success, true);
  assert.equal(ListCursor.safeParse({ t: "2026-11-26 10:00:00'; --", id }).success, false);
});
