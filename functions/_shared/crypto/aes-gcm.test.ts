import assert from "node:assert/strict";
import { gcmOpen, gcmSeal, importAesKey } from "./aes-gcm.ts";
import { bytesToHex, hexToBytes } from "./bytes.ts";
import { isCryptoError } from "./errors.ts";

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases
// 13–16 (AES-256, 96-bit IV), as also published in NIST's GCM validation set.
const K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const P15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const C15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";
const VECTORS = [
  { name: "TC13", k: "00".repeat(32), iv: "00".repeat(12), p: "", a: "", c: "", t: "530f8afbc74536b9a963b4f1c4cb738b" },
  {
    name: "TC14", k: "00".repeat(32), iv: "00".repeat(12), p: "00".repeat(16), a: "",
    c: "cea7403d4d606b6e074ec5d3baf39d18", t: "d0d1c8a799996bf0265b98b5d48ab919",
  },
  { name: "TC15", k: K15, iv: "cafebabefacedbaddecaf888", p: P15, a: "", c: C15, t: "b094dac5d93471bdec1a502270e3cc6c" },
  {
    name: "TC16", k: K15, iv: "cafebabefacedbaddecaf888", p: P15.slice(0, 120),
    a: "feedfacedeadbeeffeedfacedeadbeefabaddad2", c: C15.slice(0, 120), t: "76fc6ece0f4e1768cddf8853bb2d551b",
  },
];

for (const v of VECTORS) {
  Deno.test(`AES-256-GCM known answer ${v.name}: seal gives the published ciphertext and tag`, async () => {
    const key = await importAesKey(hexToBytes(v.k));
    const out = await gcmSeal(key, hexToBytes(v.iv), hexToBytes(v.p), hexToBytes(v.a));
    assert.equal(bytesToHex(out), v.c + v.t);
  });

  Deno.test(`AES-256-GCM known answer ${v.name}: open recovers the plaintext; a flipped tag bit is an integrity error`, async () => {
    const key = await importAesKey(hexToBytes(v.k));
    const sealed = hexToBytes(v.c + v.t);
    assert.equal(bytesToHex(await gcmOpen(key, hexToBytes(v.iv), sealed, hexToBytes(v.a))), v.p);
    sealed[sealed.length - 1] ^= 1;
    await assert.rejects(gcmOpen(key, hexToBytes(v.iv), sealed, hexToBytes(v.a)), (e) => isCryptoError(e) && e.code === "integrity_error");
  });
}

Deno.test("gcmOpen: wrong key, wrong AAD, short input and bad IV length are all the same integrity error", async () => {
  const key = await importAesKey(hexToBytes(K15));
  const other = await importAesKey(hexToBytes("00".repeat(32)));
  const iv = hexToBytes("cafebabefacedbaddecaf888");
  const aad = hexToBytes("feedface");
  const sealed = await gcmSeal(key, iv, hexToBytes("01020304"), aad);
  const attempts = [
    () => gcmOpen(other, iv, sealed, aad),
    () => gcmOpen(key, iv, sealed, hexToBytes("feedfacf")),
    () => gcmOpen(key, iv, sealed.subarray(0, 15), aad),
    () => gcmOpen(key, iv.subarray(0, 8), sealed, aad),
  ];
  const messages = new Set<string>();
  for (const a of attempts) {
    await assert.rejects(a, (e) => {
      assert.ok(isCryptoError(e) && e.code === "integrity_error");
      messages.add(e.message);
      return true;
    });
  }
  assert.equal(messages.size, 1, "every cause gives the identical message");
});

Deno.test("importAesKey refuses anything but 32 bytes and makes a non-extractable key", async () => {
  await assert.rejects(importAesKey(new Uint8Array(16)), RangeError);
  const key = await importAesKey(new Uint8Array(32));
  assert.equal(key.extractable, false);
});
