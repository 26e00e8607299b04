/**
 * The stored ciphertext format of a protected field (bytea in Postgres):
 *
 *   offset 0   u8       format version = 1
 *   offset 1   u32 BE   data-key version (per tenant)
 *   offset 5   12 B     IV (random, fresh per encryption)
 *   offset 17  n+16 B   AES-256-GCM ciphertext || 128-bit tag
 *
 * AAD = header (bytes 0..4) || place, where place is the canonical encoding of
 * (tenant id, table, column, row id): a domain label then each part length-
 * prefixed (u16 BE); UUIDs as their 16 raw bytes. Changing the format byte, the
 * key version, or moving the value to another tenant/table/column/row makes the
 * tag check fail. The database CHECK `private.is_pii_ciphertext` mirrors the
 * shape rules (format byte 1, length ≥ 1+4+12+16+1).
 */
import { IV_BYTES, TAG_BYTES } from "./aes-gcm.ts";
import { concatBytes, readU32be, u32be, uuidBytes } from "./bytes.ts";
import { integrityError } from "./errors.ts";
import { BoundedMap } from "../bounded-map.ts";

export const FORMAT_V1 = 1;
export const HEADER_BYTES = 5;
/** Smallest valid value: header, IV, tag and at least one plaintext byte. */
export const MIN_CIPHERTEXT_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES + 1;

/** Where a ciphertext lives. All four parts are bound into the AAD. */
export interface Place {
  tenantId: string;
  table: string;
  column: string;
  rowId: string;
}

const IDENT_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const AAD_LABEL = new TextEncoder().encode("kazi.pii.v1");
const enc = new TextEncoder();

// Encoded (label, tenant, table, column) prefixes, reused across rows: only the
// row id differs between the values of one column. Bounded; evicts oldest.
const prefixCache = new BoundedMap<string, Uint8Array>(4096);

function placePrefix(p: Place): Uint8Array {
  const id = `${p.tenantId}|${p.table}|${p.column}`;
  let prefix = prefixCache.get(id);
  if (!prefix) {
    if (!IDENT_RE.test(p.table) || !IDENT_RE.test(p.column)) {
      throw new TypeError("table and column must be SQL identifiers");
    }
    prefix = lengthPrefixed([AAD_LABEL, uuidBytes(p.tenantId), enc.encode(p.table), enc.encode(p.column)]);
    prefixCache.set(id, prefix);
  }
  return prefix;
}

function lengthPrefixed(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + 2 + b.byteLength, 0));
  let at = 0;
  for (const b of parts) {
    out[at] = b.byteLength >>> 8;
    out[at + 1] = b.byteLength & 0xff;
    out.set(b, at + 2);
    at += 2 + b.byteLength;
  }
  return out;
}

/** Canonical place encoding: each part u16-BE length-prefixed; UUIDs as 16 raw bytes. */
export function encodePlace(p: Place): Uint8Array {
  return concatBytes(placePrefix(p), lengthPrefixed([uuidBytes(p.rowId)]));
}

export function encodeHeader(keyVersion: number): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  h[0] = FORMAT_V1;
  h.set(u32be(keyVersion), 1);
  return h;
}

export function aadFor(header: Uint8Array, place: Place): Uint8Array {
  const prefix = placePrefix(place);
  const row = uuidBytes(place.rowId);
  const out = new Uint8Array(header.byteLength + prefix.byteLength + 2 + 16);
  out.set(header, 0);
  out.set(prefix, header.byteLength);
  out[header.byteLength + prefix.byteLength + 1] = 16;
  out.set(row, header.byteLength + prefix.byteLength + 2);
  return out;
}

export interface ParsedCiphertext {
  header: Uint8Array;
  keyVersion: number;
  iv: Uint8Array;
  sealed: Uint8Array;
}

/** Splits a stored value. Anything malformed → the one integrity error. */
export function parseCiphertext(value: Uint8Array): ParsedCiphertext {
  if (!(value instanceof Uint8Array) || value.byteLength < MIN_CIPHERTEXT_BYTES || value[0] !== FORMAT_V1) {
    throw integrityError();
  }
  return {
    header: value.subarray(0, HEADER_BYTES),
    keyVersion: readU32be(value, 1),
    iv: value.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES),
    sealed: value.subarray(HEADER_BYTES + IV_BYTES),
  };
}

/** Reads the key version without authenticating (for rotation planning only). */
export function peekKeyVersion(value: Uint8Array): number {
  if (!(value instanceof Uint8Array) || value.byteLength < MIN_CIPHERTEXT_BYTES || value[0] !== FORMAT_V1) {
    throw integrityError();
  }
  return readU32be(value, 1);
}
