import assert from "node:assert/strict";
import { loadCryptoConfig } from "./config.ts";
import { isCryptoError } from "./errors.ts";
import { randomKeyB64, testEnv } from "./test-support.ts";

Deno.test("loadCryptoConfig parses KEKs, the active version and defaults", () => {
  const c = loadCryptoConfig(testEnv({ KAZI_KEK_ACTIVE: "2" }));
  assert.deepEqual([...c.keks.keys()], [1, 2]);
  assert.equal(c.activeKekVersion, 2);
  assert.equal(c.blindIndexKey.byteLength, 32);
  assert.equal(c.maxEncryptionsPerKey, 2 ** 30);
  assert.ok(c.maxEncryptionsPerKey < 2 ** 32);
  assert.equal(c.reserveBatch, 1000);
});

Deno.test("reserve batch never exceeds the per-key limit", () => {
  const c = loadCryptoConfig(testEnv({ KAZI_DEK_MAX_ENCRYPTIONS: "3", KAZI_DEK_RESERVE_BATCH: "50" }));
  assert.equal(c.reserveBatch, 3);
  assert.throws(() => loadCryptoConfig(testEnv({ KAZI_DEK_MAX_ENCRYPTIONS: String(2 ** 32 + 1) })));
});

const secret = randomKeyB64();
const BAD: Array<[string, Record<string, string | undefined>]> = [
  ["KAZI_KEKS", { KAZI_KEKS: undefined }],
  ["KAZI_KEKS", { KAZI_KEKS: "" }],
  ["KAZI_KEKS", { KAZI_KEKS: `1${secret}` }],
  ["KAZI_KEKS", { KAZI_KEKS: `1:${secret.slice(0, 20)}` }],
  ["KAZI_KEKS", { KAZI_KEKS: `1:${secret},1:${secret}` }],
  ["KAZI_KEKS", { KAZI_KEKS: `0:${secret}` }],
  ["KAZI_KEK_ACTIVE", { KAZI_KEK_ACTIVE: undefined }],
  ["KAZI_KEK_ACTIVE", { KAZI_KEK_ACTIVE: "9" }],
  ["KAZI_KEK_ACTIVE", { KAZI_KEK_ACTIVE: "one" }],
  ["KAZI_BLIND_INDEX_KEY", { KAZI_BLIND_INDEX_KEY: undefined }],
  ["KAZI_BLIND_INDEX_KEY", { KAZI_BLIND_INDEX_KEY: "not base64 !" }],
  ["KAZI_BLIND_INDEX_KEY", { KAZI_BLIND_INDEX_KEY: secret, KAZI_KEKS: `1:${secret}` }],
];

for (const [variable, over] of BAD) {
  Deno.test(`loadCryptoConfig fails at boot naming ${variable}, never printing key material (${Object.keys(over)})`, () => {
    const env = { ...testEnv(), ...over } as Record<string, string | undefined>;
    let err: unknown;
    try {
      loadCryptoConfig(env);
    } catch (e) {
      err = e;
    }
    assert.ok(isCryptoError(err) && err.code === "crypto_config_error", "throws crypto_config_error");
    assert.ok(err.message.startsWith(variable), err.message);
    const text = `${err.message} ${err.stack ?? ""} ${JSON.stringify(err)}`;
    for (const value of Object.values(env)) {
      for (const part of String(value ?? "").split(/[,:]/)) {
        if (part.length >= 16) assert.ok(!text.includes(part), "no secret in the error");
      }
    }
  });
}
