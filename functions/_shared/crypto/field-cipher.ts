/**
 * Seal / open one protected value with a given data key, in the stored format
 * (see format.ts). Key lookup lives in pii-vault.ts; this module is pure.
 */
import { gcmOpen, gcmSeal, randomIv } from "./aes-gcm.ts";
import { integrityError } from "./errors.ts";
import { aadFor, encodeHeader, parseCiphertext, type Place } from "./format.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export async function sealField(
  key: CryptoKey,
  keyVersion: number,
  place: Place,
  plaintext: string,
): Promise<Uint8Array> {
  if (plaintext.length === 0) throw new TypeError("refusing to encrypt an empty value");
  const header = encodeHeader(keyVersion);
  const iv = randomIv();
  const sealed = await gcmSeal(key, iv, enc.encode(plaintext), aadFor(header, place));
  const out = new Uint8Array(header.byteLength + iv.byteLength + sealed.byteLength);
  out.set(header, 0);
  out.set(iv, header.byteLength);
  out.set(sealed, header.byteLength + iv.byteLength);
  return out;
}

/** `keyFor` receives the key version named by the (still unauthenticated) header. */
export async function openField(
  keyFor: (version: number) => Promise<CryptoKey>,
  place: Place,
  value: Uint8Array,
): Promise<string> {
  const c = parseCiphertext(value);
  let aad: Uint8Array;
  try {
    aad = aadFor(c.header, place);
  } catch {
    throw integrityError();
  }
  const key = await keyFor(c.keyVersion);
  const plain = await gcmOpen(key, c.iv, c.sealed, aad);
  try {
    return dec.decode(plain);
  } catch {
    throw integrityError();
  }
}
