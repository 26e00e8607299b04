import assert from "node:assert/strict";
import { integrityError, keyUnavailable } from "./crypto/errors.ts";
import type { PiiVault } from "./crypto/pii-vault.ts";
import { maskRow, maskRows } from "./pii-masking.ts";

const place = { tenantId: "t", table: "employees", rowId: "r" };
const ct = (b: number) => new Uint8Array([b]);

function fakeVault(byFirstByte: Record<number, string | Error>): { vault: PiiVault; seen: unknown[] } {
  const seen: unknown[] = [];
  const vault = {
    maskedFields: (refs: { field: string; ciphertext: Uint8Array; tenantId: string; table: string; rowId: string }[]) => {
      seen.push(...refs);
      return Promise.resolve(refs.map((ref) => byFirstByte[ref.ciphertext[0]]));
    },
  } as unknown as PiiVault;
  return { vault, seen };
}

Deno.test("maskRow masks present fields, leaves absent ones null, and reports unreadable ones sorted", async () => {
  const { vault, seen } = fakeVault({ 1: "A12******9B", 2: keyUnavailable(), 3: integrityError() });
  const out = await maskRow(vault, place, {
    kra_pin_ciphertext: ct(1),
    national_id_ciphertext: null,
    phone_ciphertext: ct(3),
    bank_account_ciphertext: ct(2),
  });
  assert.deepEqual(out, {
    masked: { kra_pin: "A12******9B", national_id: null, phone: null, bank_account: null },
    unavailable: ["bank_account", "phone"],
  });
  assert.deepEqual(seen.map((r) => (r as { field: string }).field), ["kra_pin", "phone", "bank_account"]);
  assert.ok(seen.every((r) => {
    const x = r as Record<string, unknown>;
    return x.tenantId === "t" && x.table === "employees" && x.rowId === "r";
  }), "each value is asked for at its own place");
});

Deno.test("maskRow rethrows anything that is not a crypto error", async () => {
  const { vault } = fakeVault({ 1: "x", 2: new Error("database down") });
  await assert.rejects(
    maskRow(vault, place, { kra_pin_ciphertext: ct(1), national_id_ciphertext: ct(2), phone_ciphertext: null, bank_account_ciphertext: null }),
    /database down/,
  );
});

Deno.test("maskRows masks a page in one vault call, each row's fields at their own place", async () => {
  const { vault, seen } = fakeVault({ 1: "A12******9B", 3: integrityError() });
  const rows = ["r1", "r2"].map((rowId, i) => ({
    place: { ...place, rowId },
    row: { kra_pin_ciphertext: ct(1), national_id_ciphertext: null, phone_ciphertext: i ? ct(3) : null, bank_account_ciphertext: null },
  }));
  const out = await maskRows(vault, rows);
  assert.deepEqual(out, [
    { masked: { kra_pin: "A12******9B", national_id: null, phone: null, bank_account: null }, unavailable: [] },
    { masked: { kra_pin: "A12******9B", national_id: null, phone: null, bank_account: null }, unavailable: ["phone"] },
  ]);
  assert.deepEqual(seen.map((r) => `${(r as { rowId: string }).rowId}/${(r as { field: string }).field}`), ["r1/kra_pin", "r2/kra_pin", "r2/phone"]);
});
