/**
 * Key-encryption keys (KEKs) and data-key wrapping. KEKs live only in the
 * functions' secrets; a data key is stored only as
 *   wrapped_key = IV (12 B) || AES-256-GCM(KEK, dataKey, AAD) (32 + 16 B)
 * with AAD = "kazi.dek.v1" || tenant uuid (16 B) || u32 data-key version ||
 * u32 KEK version, so a wrapped key moved to another tenant or version slot,
 * or relabelled with another KEK version, fails to unwrap.
 */
import { gcmOpen, gcmSeal, importAesKey, IV_BYTES, KEY_BYTES, randomIv } from "./aes-gcm.ts";
import { concatBytes, u32be, uuidBytes } from "./bytes.ts";
import { integrityError, keyUnavailable } from "./errors.ts";

const LABEL = new TextEncoder().encode("kazi.dek.v1");
export const WRAPPED_KEY_BYTES = IV_BYTES + KEY_BYTES + 16;

export function wrapAad(tenantId: string, dekVersion: number, kekVersion: number): Uint8Array {
  return concatBytes(LABEL, uuidBytes(tenantId), u32be(dekVersion), u32be(kekVersion));
}

export class KekRing {
  readonly activeVersion: number;
  #keys = new Map<number, Promise<CryptoKey>>();

  constructor(keks: Map<number, Uint8Array>, activeVersion: number) {
    for (const [v, raw] of keks) this.#keys.set(v, importAesKey(raw));
    this.activeVersion = activeVersion;
  }

  has(version: number): boolean {
    return this.#keys.has(version);
  }

  async #key(version: number): Promise<CryptoKey> {
    const k = this.#keys.get(version);
    if (!k) throw keyUnavailable();
    return await k;
  }

  /** Wraps 32 raw data-key bytes with the given (default: active) KEK. */
  async wrap(tenantId: string, dekVersion: number, rawDek: Uint8Array, kekVersion = this.activeVersion) {
    const iv = randomIv();
    const sealed = await gcmSeal(await this.#key(kekVersion), iv, rawDek, wrapAad(tenantId, dekVersion, kekVersion));
    return { kekVersion, wrappedKey: concatBytes(iv, sealed) };
  }

  /** Returns the raw data-key bytes; callers import and then zero them. */
  async unwrapRaw(tenantId: string, dekVersion: number, kekVersion: number, wrapped: Uint8Array): Promise<Uint8Array> {
    if (wrapped.byteLength !== WRAPPED_KEY_BYTES) throw integrityError();
    const raw = await gcmOpen(
      await this.#key(kekVersion),
      wrapped.subarray(0, IV_BYTES),
      wrapped.subarray(IV_BYTES),
      wrapAad(tenantId, dekVersion, kekVersion),
    );
    if (raw.byteLength !== KEY_BYTES) throw integrityError();
    return raw;
  }

  async unwrap(tenantId: string, dekVersion: number, kekVersion: number, wrapped: Uint8Array): Promise<CryptoKey> {
    const raw = await this.unwrapRaw(tenantId, dekVersion, kekVersion, wrapped);
    try {
      return await importAesKey(raw);
    } finally {
      raw.fill(0);
    }
  }
}

export function newRawDataKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}
