/**
 * AES-256-GCM primitive on WebCrypto. THE ONLY module that calls
 * `crypto.subtle.decrypt`; every failure (bad tag, wrong key, wrong AAD,
 * malformed input, wrong algorithm) becomes one opaque `integrity_error`.
 */
import { integrityError } from "./errors.ts";

export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Imports 32 raw bytes as a non-extractable AES-256-GCM key. */
export async function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.byteLength !== KEY_BYTES) throw new RangeError("AES-256 key must be 32 bytes");
  return await crypto.subtle.importKey("raw", raw as BufferSource, { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
}

export function randomIv(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(IV_BYTES));
}

/** Encrypts; returns ciphertext || 128-bit tag. */
export async function gcmSeal(
  key: CryptoKey,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (iv.byteLength !== IV_BYTES) throw new RangeError("IV must be 96 bits");
  const out = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: iv as BufferSource, additionalData: aad as BufferSource, tagLength: 128 },
    key,
    plaintext as BufferSource,
  );
  return new Uint8Array(out);
}

/** Decrypts ciphertext || tag. Any failure at all → integrity_error, never garbage. */
export async function gcmOpen(
  key: CryptoKey,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (iv.byteLength !== IV_BYTES || sealed.byteLength < TAG_BYTES) throw integrityError();
  try {
    const out = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: iv as BufferSource, additionalData: aad as BufferSource, tagLength: 128 },
      key,
      sealed as BufferSource,
    );
    return new Uint8Array(out);
  } catch {
    throw integrityError();
  }
}
