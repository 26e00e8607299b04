import assert from "node:assert/strict";
import { BlindIndexer } from "./blind-index.ts";
import { bytesEqual } from "./bytes.ts";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const root = () => crypto.getRandomValues(new Uint8Array(32));

Deno.test("blind index: 32 bytes, deterministic per (tenant, field, value), different across tenants and fields", async () => {
  const b = new BlindIndexer(root());
  const x = await b.compute(T1, "national_id", "12345678");
  assert.equal(x.byteLength, 32);
  assert.ok(bytesEqual(x, await b.compute(T1, "national_id", "12345678")));
  assert.ok(bytesEqual(x, await b.compute(T1.toUpperCase(), "national_id", "12345678")));
  assert.ok(!bytesEqual(x, await b.compute(T2, "national_id", "12345678")));
  assert.ok(!bytesEqual(x, await b.compute(T1, "phone", "12345678")));
  assert.ok(!bytesEqual(x, await b.compute(T1, "national_id", "12345679")));
});

Deno.test("blind index depends on the secret: another root key gives another index", async () => {
  const a = await new BlindIndexer(root()).compute(T1, "kra_pin", "A123456789B");
  const b = await new BlindIndexer(root()).compute(T1, "kra_pin", "A123456789B");
  assert.ok(!bytesEqual(a, b));
});
