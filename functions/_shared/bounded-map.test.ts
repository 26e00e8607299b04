import assert from "node:assert/strict";
import { BoundedMap } from "./bounded-map.ts";

Deno.test("a bounded map keeps the newest entries and forgets the oldest", () => {
  const m = new BoundedMap<string, number>(2);
  m.set("a", 1);
  m.set("b", 2);
  m.set("a", 3); // rewritten: now the newest
  m.set("c", 4);
  assert.equal(m.size, 2);
  assert.equal(m.get("b"), undefined);
  assert.equal(m.get("a"), 3);
  assert.equal(m.get("c"), 4);
  m.delete("a");
  assert.equal(m.get("a"), undefined);
  assert.throws(() => new BoundedMap(0), RangeError);
});
