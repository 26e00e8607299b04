/** Test helpers for the crypto modules: fresh random secrets, never real ones. */
import { bytesToBase64 } from "./bytes.ts";
import { type CryptoConfig, loadCryptoConfig } from "./config.ts";

export function randomKeyB64(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export function testEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    KAZI_KEKS: `1:${randomKeyB64()},2:${randomKeyB64()}`,
    KAZI_KEK_ACTIVE: "1",
    KAZI_BLIND_INDEX_KEY: randomKeyB64(),
    ...over,
  };
}

export function testConfig(over: Record<string, string> = {}): CryptoConfig {
  return loadCryptoConfig(testEnv(over));
}
