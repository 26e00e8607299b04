/** Small byte helpers shared by the crypto modules (no secrets handled here). */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError("u32 out of range");
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

export function readU32be(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, false);
}

export function u16be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError("u16 out of range");
  return new Uint8Array([n >>> 8, n & 0xff]);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID's 16 bytes (canonical, so upper/lower case spellings bind the same). */
export function uuidBytes(uuid: string): Uint8Array {
  if (uuid.length !== 36 || !UUID_RE.test(uuid)) throw new TypeError("not a uuid");
  const out = new Uint8Array(16);
  let j = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    out[j++] = (hexVal(uuid.charCodeAt(i)) << 4) | hexVal(uuid.charCodeAt(i + 1));
  }
  return out;
}

function hexVal(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87; // '0'-'9', 'a'-'f' / 'A'-'F' (validated by the regex)
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new TypeError("bad hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

// Native Uint8Array.prototype.toHex / toBase64 (V8 ≥ 13.x, Deno 2.x) where present: same output, no per-byte strings.
type NativeEncoders = { toHex?: () => string; toBase64?: () => string };
const nativeEncoders = Uint8Array.prototype as unknown as NativeEncoders;
const hasToHex = typeof nativeEncoders.toHex === "function";
const hasToBase64 = typeof nativeEncoders.toBase64 === "function";

export function bytesToHex(b: Uint8Array): string {
  if (hasToHex) return (b as unknown as Required<NativeEncoders>).toHex();
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(b: Uint8Array): string {
  if (hasToBase64) return (b as unknown as Required<NativeEncoders>).toBase64();
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let d = 0;
  for (let i = 0; i < a.byteLength; i++) d |= a[i] ^ b[i];
  return d === 0;
}
