import assert from "node:assert/strict";
import { importAesKey } from "./aes-gcm.ts";
import { integrityError, isCryptoError } from "./errors.ts";
import { openField, sealField } from "./field-cipher.ts";
import { FORMAT_V1, HEADER_BYTES, MIN_CIPHERTEXT_BYTES, type Place, peekKeyVersion } from "./format.ts";
import { readU32be } from "./bytes.ts";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const R1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const R2 = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const place: Place = { tenantId: T1, table: "employees", column: "kra_pin_ciphertext", rowId: R1 };

const isIntegrity = (e: unknown) => isCryptoError(e) && e.code === "integrity_error";

async function setup() {
  const k7 = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
  const k8 = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
  const keys = new Map([[7, k7], [8, k8]]);
  // like DataKeyStore.forDecryption: an unknown version is an integrity error
  const keyFor = (v: number) => {
    const k = keys.get(v);
    return k ? Promise.resolve(k) : Promise.reject(integrityError());
  };
  return { k7, keyFor };
}

Deno.test("sealField writes [format 1][u32 key version][12-byte IV][ciphertext+tag] and round trips", async () => {
  const { k7, keyFor } = await setup();
  const ct = await sealField(k7, 7, place, "A123456789B");
  assert.equal(ct[0], FORMAT_V1);
  assert.equal(readU32be(ct, 1), 7);
  assert.equal(peekKeyVersion(ct), 7);
  assert.equal(ct.byteLength, HEADER_BYTES + 12 + "A123456789B".length + 16);
  assert.ok(ct.byteLength >= MIN_CIPHERTEXT_BYTES);
  assert.equal(await openField(keyFor, place, ct), "A123456789B");
});

Deno.test("every encryption uses a fresh IV: the same value never gives the same bytes", async () => {
  const { k7 } = await setup();
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const ct = await sealField(k7, 7, place, "12345678");
    seen.add(Array.from(ct.subarray(HEADER_BYTES, HEADER_BYTES + 12)).join(","));
  }
  assert.equal(seen.size, 200);
});

Deno.test("flipping any single bit anywhere in the stored value is an integrity error", async () => {
  const { k7, keyFor } = await setup();
  const ct = await sealField(k7, 7, place, "+254712345678");
  for (let i = 0; i < ct.byteLength * 8; i++) {
    const bad = ct.slice();
    bad[i >> 3] ^= 1 << (i & 7);
    await assert.rejects(openField(keyFor, place, bad), isIntegrity, `bit ${i}`);
  }
});

Deno.test("a value moved to another row, column, table or tenant is an integrity error", async () => {
  const { k7, keyFor } = await setup();
  const ct = await sealField(k7, 7, place, "A123456789B");
  for (const moved of [
    { ...place, rowId: R2 },
    { ...place, column: "national_id_ciphertext" },
    { ...place, table: "onboarding_cases" },
    { ...place, tenantId: T2 },
  ]) {
    await assert.rejects(openField(keyFor, moved, ct), isIntegrity, JSON.stringify(moved));
  }
  // the uuid spelling does not matter: the AAD binds the 16 bytes
  assert.equal(await openField(keyFor, { ...place, rowId: R1.toUpperCase() }, ct), "A123456789B");
});

Deno.test("a relabelled key version or format byte is an integrity error even when that key exists", async () => {
  const { k7, keyFor } = await setup();
  const ct = await sealField(k7, 7, place, "A123456789B");
  const relabelled = ct.slice();
  relabelled[4] = 8; // header now names key 8, which exists
  await assert.rejects(openField(keyFor, place, relabelled), isIntegrity);
  const reformatted = ct.slice();
  reformatted[0] = 2;
  await assert.rejects(openField(keyFor, place, reformatted), isIntegrity);
});

Deno.test("truncated, empty and plaintext-looking values are integrity errors, never garbage", async () => {
  const { k7, keyFor } = await setup();
  const ct = await sealField(k7, 7, place, "A123456789B");
  for (let n = 0; n < ct.byteLength; n++) {
    await assert.rejects(openField(keyFor, place, ct.subarray(0, n)), isIntegrity, `length ${n}`);
  }
  await assert.rejects(openField(keyFor, place, new TextEncoder().encode("A123456789B-plaintext-value-here")), isIntegrity);
});

Deno.test("sealField refuses an empty value and non-identifier table names", async () => {
  const { k7 } = await setup();
  await assert.rejects(sealField(k7, 7, place, ""), TypeError);
  await assert.rejects(sealField(k7, 7, { ...place, table: "employees; drop" }, "x"), TypeError);
});

Deno.test("uuidBytes is the uuid's 16 bytes whatever the letter case; other strings are refused", async () => {
  const { bytesToHex, uuidBytes } = await import("./bytes.ts");
  for (let i = 0; i < 500; i++) {
    const u = crypto.randomUUID();
    assert.equal(bytesToHex(uuidBytes(u)), u.replaceAll("-", ""));
    assert.equal(bytesToHex(uuidBytes(u.toUpperCase())), u.replaceAll("-", ""));
  }
  for (const bad of ["", "not-a-uuid", "11111111-1111-4111-8111-11111111111g", "111111111111-4111-8111-1111111111111"]) {
    assert.throws(() => uuidBytes(bad), TypeError);
  }
});

Deno.test("the AAD is header || length-prefixed (label, tenant, table, column, row) whatever the cache state", async () => {
  const { aadFor, encodeHeader, encodePlace } = await import("./format.ts");
  const { bytesToHex, uuidBytes } = await import("./bytes.ts");
  const lp = (b: Uint8Array) => bytesToHex(new Uint8Array([b.length >> 8, b.length & 0xff])) + bytesToHex(b);
  const te = new TextEncoder();
  const expected = "010000000c" + lp(te.encode("kazi.pii.v1")) + lp(uuidBytes(T1)) + lp(te.encode("employees")) +
    lp(te.encode("kra_pin_ciphertext")) + lp(uuidBytes(R1));
  for (let i = 0; i < 2; i++) { // first call fills the prefix cache, second reads it
    assert.equal(bytesToHex(aadFor(encodeHeader(12), place)), expected);
    assert.equal("010000000c" + bytesToHex(encodePlace(place)), expected);
  }
});
