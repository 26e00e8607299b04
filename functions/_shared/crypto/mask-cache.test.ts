import assert from "node:assert/strict";
import { MaskCache } from "./mask-cache.ts";

const m = (masked: string) => ({ masked, keyVersion: 1 });
const masked = (c: MaskCache, ...args: Parameters<MaskCache["get"]>) => c.get(...args)?.masked;
const place = (rowId: string, column = "phone_ciphertext", tenantId = "T") => ({ tenantId, table: "employees", column, rowId });

Deno.test("a mask is served only for its exact place and every ciphertext byte", () => {
  const c = new MaskCache({ ttlMs: 1000, maxEntries: 10 });
  const ct = new Uint8Array([1, 2, 3, 4]);
  c.set(place("r1"), ct, m("A*"));
  assert.equal(masked(c, place("r1"), ct.slice()), "A*", "the same bytes in another buffer hit");
  assert.equal(masked(c, { ...place("R1"), tenantId: "t" }, ct), "A*", "uuid case does not matter");
  assert.equal(masked(c, place("r2"), ct), undefined, "another row");
  assert.equal(masked(c, place("r1", "kra_pin_ciphertext"), ct), undefined, "another column");
  assert.equal(masked(c, place("r1", "phone_ciphertext", "U"), ct), undefined, "another tenant");
  assert.equal(masked(c, { ...place("r1"), table: "onboarding_cases" }, ct), undefined, "another table");
  assert.equal(masked(c, place("r1"), new Uint8Array([1, 2, 3, 5])), undefined, "a changed byte");
  assert.equal(masked(c, place("r1"), new Uint8Array([1, 2, 3])), undefined, "a truncated ciphertext");
  ct[0] = 9;
  assert.equal(masked(c, place("r1"), new Uint8Array([1, 2, 3, 4])), "A*", "the cache keeps its own copy of the bytes");
});

Deno.test("mask cache entries expire after the TTL and the oldest rows go first beyond the size", () => {
  let now = 0;
  const ct = new Uint8Array([7]);
  const c = new MaskCache({ ttlMs: 100, maxEntries: 3, now: () => now });
  c.set(place("a"), ct, m("A*"));
  c.set(place("a", "kra_pin_ciphertext"), ct, m("AK*"));
  c.set(place("b"), ct, m("B*"));
  assert.equal(c.size, 3);
  c.set(place("b"), ct, m("B2*"));
  assert.equal(c.size, 3, "replacing a field does not grow the cache");
  assert.equal(masked(c, place("b"), ct), "B2*");
  c.set(place("c"), ct, m("C*"));
  assert.equal(c.size, 2, "the oldest row leaves with all its fields");
  assert.equal(masked(c, place("a"), ct), undefined);
  assert.equal(masked(c, place("a", "kra_pin_ciphertext"), ct), undefined);
  assert.equal(masked(c, place("c"), ct), "C*");
  now = 100;
  assert.equal(masked(c, place("b"), ct), undefined, "expired at the TTL");
  assert.equal(c.size, 1, "an expired entry is dropped when met");
  const off = new MaskCache({ ttlMs: 100, maxEntries: 0 });
  off.set(place("a"), ct, m("A*"));
  assert.equal(masked(off, place("a"), ct), undefined);
});
