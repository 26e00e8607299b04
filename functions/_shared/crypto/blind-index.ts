/**
 * Blind indexes: HMAC-SHA-256(normalised value) under a per-tenant, per-field
 * key derived with HKDF-SHA-256 from KAZI_BLIND_INDEX_KEY (a secret separate
 * from the KEKs):  info = "kazi.blind-index.v1" || tenant uuid || field name.
 * Output: 32 bytes, stored in `<field>_blind_index bytea` (checked length 32).
 * Callers pass the NORMALISED value (see ../pii); equal values → equal index.
 */
import { concatBytes, uuidBytes } from "./bytes.ts";
import { BoundedMap } from "../bounded-map.ts";

const INFO = new TextEncoder().encode("kazi.blind-index.v1");
const SALT = new TextEncoder().encode("kazi.blind-index.salt.v1");
const enc = new TextEncoder();

export class BlindIndexer {
  #root: Promise<CryptoKey>;
  #keys: BoundedMap<string, Promise<CryptoKey>>;

  constructor(rootKey: Uint8Array, maxCachedKeys = 4096) {
    this.#root = crypto.subtle.importKey("raw", rootKey as BufferSource, "HKDF", false, ["deriveKey"]);
    this.#keys = new BoundedMap(maxCachedKeys);
  }

  #keyFor(tenantId: string, field: string): Promise<CryptoKey> {
    const id = `${tenantId.toLowerCase()}/${field}`;
    let k = this.#keys.get(id);
    if (!k) {
      const info = concatBytes(INFO, uuidBytes(tenantId), enc.encode(field));
      k = this.#root.then((root) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: SALT as BufferSource, info: info as BufferSource },
          root,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        )
      );
      this.#keys.set(id, k);
    }
    return k;
  }

  async compute(tenantId: string, field: string, normalisedValue: string): Promise<Uint8Array> {
    const key = await this.#keyFor(tenantId, field);
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(normalisedValue)));
  }
}
