import assert from "node:assert/strict";
import { MaskCache } from "./mask-cache.ts";

const place = (rowId: string, column = "phone_ciphertext") => ({ tenantId: "T", table: "employees", column, rowId });

Deno.test("mask cache keys differ by place and by every ciphertext byte", () => {
  const ct = new Uint8Array([1, 2, 3, 4]);
  const k = MaskCache.keyOf(place("r1"), ct);
  assert.notEqual(k, MaskCache.keyOf(place("r2"), ct));
  assert.notEqual(k, MaskCache.keyOf(place("r1", "kra_pin_ciphertext"), ct));
  assert.notEqual(k, MaskCache.keyOf(place("r1"), new Uint8Array([1, 2, 3, 5])));
  assert.equal(k, MaskCache.keyOf({ ...place("R1"), tenantId: "t" }, ct.slice()), "uuid case does not matter");
});

Deno.test("mask cache entries expire after the TTL and the oldest go first beyond the size", () => {
  let now = 0;
  const c = new MaskCache({ ttlMs: 100, maxEntries: 2, now: () => now });
  c.set("a", "A*");
  c.set("b", "B*");
  assert.equal(c.get("a"), "A*");
  c.set("c", "C*");
  assert.equal(c.size, 2);
  assert.equal(c.get("a"), undefined, "oldest evicted");
  now = 100;
  assert.equal(c.get("b"), undefined, "expired at the TTL");
  const off = new MaskCache({ ttlMs: 100, maxEntries: 0 });
  off.set("a", "A*");
  assert.equal(off.get("a"), undefined);
});
