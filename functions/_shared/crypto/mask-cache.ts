/**
 * Masked forms of values this process has already decrypted, so a list shown
 * again within the TTL skips its decryptions (a page of 50 employees is 200
 * of them, most of a list request's CPU; see bench/api.bench.ts).
 *
 * Only masks are held, never plaintext. The key is the value's exact place
 * (tenant, table, column, row) and ciphertext bytes: a ciphertext that was
 * changed, or moved to another row or column, misses and goes through
 * decryption, where authentication refuses it. The vault serves a hit only
 * while it can still get the value's data key, so a destroyed key ends
 * the cached masks with it.
 */
import { bytesToBase64 } from "./bytes.ts";
import type { Place } from "./format.ts";

export interface MaskCacheOptions {
  ttlMs: number;
  /** 0 turns the cache off. */
  maxEntries: number;
  now?: () => number;
}

export class MaskCache {
  readonly #entries = new Map<string, { masked: string; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(o: MaskCacheOptions) {
    this.#ttlMs = o.ttlMs;
    this.#maxEntries = o.maxEntries;
    this.#now = o.now ?? Date.now;
  }

  static keyOf(place: Place, ciphertext: Uint8Array): string {
    return `${place.tenantId.toLowerCase()}\u0000${place.table}\u0000${place.column}\u0000${place.rowId.toLowerCase()}\u0000${
      bytesToBase64(ciphertext)
    }`;
  }

  get(key: string): string | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt > this.#now()) return hit.masked;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, masked: string): void {
    if (this.#maxEntries === 0) return;
    this.#entries.delete(key);
    // Oldest first: Map iteration follows insertion order.
    while (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { masked, expiresAt: this.#now() + this.#ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
