/**
 * The PII vault: the one service the APIs use to protect kra_pin,
 * national_id, phone and bank_account.
 *
 *   const vault = PiiVault.create(db, cryptoConfigFromEnv());   // at boot
 *   const { ciphertext, blindIndex } = await vault.encryptField({ tenantId, table: "employees",
 *     field: "kra_pin", rowId, value: "a123456789b" });
 *   const plain = await vault.decryptField({ tenantId, table: "employees", field: "kra_pin", rowId, ciphertext });
 *
 * `db` is an owner/service-role Kysely handle used ONLY for the private key
 * table; the API's own row writes stay in its user-scoped transaction.
 * Values are normalised (../pii) before encryption and blind indexing, so
 * `a123456789b` and `A123456789B` encrypt and index alike.
 * Errors: invalid value → ZodError (render as 400); tampered/moved/truncated
 * ciphertext → CryptoError `integrity_error`; shredded key → `key_unavailable`.
 */
import { type PiiField, ciphertextColumn, maskField, normaliseField } from "../pii/fields.ts";
import { BlindIndexer } from "./blind-index.ts";
import type { CryptoConfig } from "./config.ts";
import { type AnyDb, DataKeyStore } from "./data-keys.ts";
import { openField, sealField } from "./field-cipher.ts";
import { KekRing } from "./kek.ts";
import { type Place, peekKeyVersion } from "./format.ts";
import { MaskCache } from "./mask-cache.ts";

export interface FieldRef {
  tenantId: string;
  /** Table holding the value, e.g. "employees" or "onboarding_cases". */
  table: string;
  field: PiiField;
  rowId: string;
}

export interface SealedField {
  ciphertext: Uint8Array;
  keyVersion: number;
  /** Masked form of the normalised value, for lists (never the plaintext). */
  masked: string;
}

export interface EncryptedField extends SealedField {
  blindIndex: Uint8Array;
}

export class PiiVault {
  readonly keys: DataKeyStore;
  readonly blind: BlindIndexer;
  readonly #masks: MaskCache;

  constructor(keys: DataKeyStore, blind: BlindIndexer, masks = new MaskCache({ ttlMs: 0, maxEntries: 0 })) {
    this.keys = keys;
    this.blind = blind;
    this.#masks = masks;
  }

  static create(db: AnyDb, config: CryptoConfig, now?: () => number): PiiVault {
    const ring = new KekRing(config.keks, config.activeKekVersion);
    const keys = new DataKeyStore(db, ring, {
      maxEncryptionsPerKey: config.maxEncryptionsPerKey,
      reserveBatch: config.reserveBatch,
      cacheTtlMs: config.cacheTtlMs,
      cacheMaxEntries: config.cacheMaxEntries,
      ...(now ? { now } : {}),
    });
    const masks = new MaskCache({ ttlMs: config.cacheTtlMs, maxEntries: config.maskCacheMaxEntries, ...(now ? { now } : {}) });
    return new PiiVault(keys, new BlindIndexer(config.blindIndexKey), masks);
  }

  async encryptField(ref: FieldRef & { value: string }): Promise<EncryptedField> {
    const normalised = normaliseField(ref.field, ref.value);
    const [sealed, blindIndex] = await Promise.all([
      this.#seal(ref, normalised),
      this.blind.compute(ref.tenantId, ref.field, normalised),
    ]);
    return { ...sealed, blindIndex };
  }

  /** encryptField without the blind index, for rows that are never looked up by value (onboarding cases). */
  async sealOnly(ref: FieldRef & { value: string }): Promise<SealedField> {
    return await this.#seal(ref, normaliseField(ref.field, ref.value));
  }

  async #seal(ref: FieldRef, normalised: string): Promise<SealedField> {
    const { version, key } = await this.keys.forEncryption(ref.tenantId);
    const place = placeOf(ref);
    const ciphertext = await sealField(key, version, place, normalised);
    const masked = maskField(ref.field, normalised);
    // The row is usually shown right after it is written: its masks are known without decrypting.
    this.#masks.set(place, ciphertext, { masked, keyVersion: version });
    return { ciphertext, keyVersion: version, masked };
  }

  async decryptField(ref: FieldRef & { ciphertext: Uint8Array }): Promise<string> {
    return await openField(
      (version) => this.keys.forDecryption(ref.tenantId, version),
      placeOf(ref),
      ref.ciphertext,
    );
  }

  /** Blind index of a (raw) value, for lookups and uniqueness: `where tenant_id = $1 and <field>_blind_index = $2`. */
  async blindIndex(ref: { tenantId: string; field: PiiField; value: string }): Promise<Uint8Array> {
    return await this.blind.compute(ref.tenantId, ref.field, normaliseField(ref.field, ref.value));
  }

  /** Decrypts then masks: what a list shows (cached, see mask-cache.ts). */
  async maskedField(ref: FieldRef & { ciphertext: Uint8Array }): Promise<string> {
    const [result] = await this.maskedFields([ref]);
    if (typeof result === "string") return result;
    throw result;
  }

  /**
   * maskedField for a whole page at once: each value's mask, or the error
   * that kept it from being read (CryptoError: tampered, or key destroyed).
   * Cache hits are answered without a promise each: the data keys they
   * depend on are checked once per (tenant, key version) for the page.
   */
  async maskedFields(refs: readonly (FieldRef & { ciphertext: Uint8Array })[]): Promise<(string | Error)[]> {
    const out: (string | Error)[] = new Array(refs.length);
    const misses: Promise<void>[] = [];
    // (tenant, version) → indexes of the hits that need that key
    const hitsByKey = new Map<string, { tenantId: string; version: number; at: number[] }>();
    let last: { tenantId: string; version: number; at: number[] } | undefined;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i];
      const place = placeOf(ref);
      const hit = this.#masks.get(place, ref.ciphertext);
      if (hit === undefined) {
        misses.push(this.decryptField(ref).then(
          (plain) => {
            const masked = maskField(ref.field, plain);
            this.#masks.set(place, ref.ciphertext, { masked, keyVersion: peekKeyVersion(ref.ciphertext) });
            out[i] = masked;
          },
          (err) => void (out[i] = asError(err)),
        ));
        continue;
      }
      out[i] = hit.masked;
      // a page is mostly one tenant under one key version: skip the map then
      if (last?.tenantId !== ref.tenantId || last.version !== hit.keyVersion) {
        const id = `${ref.tenantId}:${hit.keyVersion}`;
        last = hitsByKey.get(id);
        if (!last) hitsByKey.set(id, last = { tenantId: ref.tenantId, version: hit.keyVersion, at: [] });
      }
      last.at.push(i);
    }
    // Only while this process can still get the data key: a destroyed key ends its masks.
    const keyChecks = [...hitsByKey.values()].map((g) =>
      this.keys.forDecryption(g.tenantId, g.version).then(
        () => {},
        (err) => {
          for (const i of g.at) out[i] = asError(err);
        },
      )
    );
    await Promise.all([...misses, ...keyChecks]);
    return out;
  }
}

const asError = (err: unknown): Error => err instanceof Error ? err : new Error(String(err));

export function placeOf(ref: FieldRef): Place {
  return { tenantId: ref.tenantId, table: ref.table, column: ciphertextColumn(ref.field), rowId: ref.rowId };
}
