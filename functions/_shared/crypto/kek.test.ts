import assert from "node:assert/strict";
import { isCryptoError } from "./errors.ts";
import { KekRing, newRawDataKey, WRAPPED_KEY_BYTES } from "./kek.ts";
import { testConfig } from "./test-support.ts";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const isIntegrity = (e: unknown) => isCryptoError(e) && e.code === "integrity_error";

Deno.test("a data key wraps to 60 bytes and unwraps only in its own slot (tenant, version, KEK version)", async () => {
  const c = testConfig();
  const ring = new KekRing(c.keks, c.activeKekVersion);
  const raw = newRawDataKey();
  const w = await ring.wrap(T1, 3, raw);
  assert.equal(w.kekVersion, 1);
  assert.equal(w.wrappedKey.byteLength, WRAPPED_KEY_BYTES);
  assert.deepEqual(await ring.unwrapRaw(T1, 3, 1, w.wrappedKey), raw);
  await assert.rejects(ring.unwrapRaw(T2, 3, 1, w.wrappedKey), isIntegrity);
  await assert.rejects(ring.unwrapRaw(T1, 4, 1, w.wrappedKey), isIntegrity);
  await assert.rejects(ring.unwrapRaw(T1, 3, 2, w.wrappedKey), isIntegrity);
  await assert.rejects(ring.unwrapRaw(T1, 3, 1, w.wrappedKey.subarray(1)), isIntegrity);
  const unwrapped = await ring.unwrap(T1, 3, 1, w.wrappedKey);
  assert.equal(unwrapped.extractable, false);
});

Deno.test("an unknown KEK version is key_unavailable", async () => {
  const c = testConfig();
  const ring = new KekRing(c.keks, 1);
  const w = await ring.wrap(T1, 1, newRawDataKey());
  await assert.rejects(ring.unwrapRaw(T1, 1, 5, w.wrappedKey), (e) => isCryptoError(e) && e.code === "key_unavailable");
});
