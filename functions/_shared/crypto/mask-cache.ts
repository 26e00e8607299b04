/**
 * Masked forms of values this process has already decrypted, so a list shown
 * again within the TTL skips its decryptions (a page of 50 employees is 200
 * of them, most of a list request's CPU; see bench/api.bench.ts).
 *
 * Only masks are held, never plaintext. A mask is served only for the exact
 * place it was made for (tenant, table, column, row) and the exact
 * ciphertext bytes: a ciphertext that was changed, or moved to another row
 * or column, misses and goes through decryption, where authentication
 * refuses it. The vault serves a hit only while it can still get the value's
 * data key, so a destroyed key ends the cached masks with it.
 *
 * Entries are grouped by row id: a page looks up each row's fields with the
 * same id string (whose hash V8 keeps), and the ciphertext is compared byte
 * for byte instead of being encoded into a key.
 */
import type { Place } from "./format.ts";

export interface MaskCacheOptions {
  ttlMs: number;
  /** Most fields held; 0 turns the cache off. */
  maxEntries: number;
  now?: () => number;
}

export interface CachedMask {
  masked: string;
  /** The data-key version the ciphertext was sealed with (its header, read when the mask was made). */
  keyVersion: number;
}

interface Entry extends CachedMask {
  tenantId: string;
  table: string;
  column: string;
  ciphertext: Uint8Array;
  expiresAt: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class MaskCache {
  /** Row id (lower case) → its fields' entries; Map order is insertion order, oldest row first. */
  readonly #rows = new Map<string, Entry[]>();
  #size = 0;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(o: MaskCacheOptions) {
    this.#ttlMs = o.ttlMs;
    this.#maxEntries = o.maxEntries;
    this.#now = o.now ?? Date.now;
  }

  get(place: Place, ciphertext: Uint8Array): CachedMask | undefined {
    // ids from Postgres are lower case already: lower-case only when that misses
    let rowId = place.rowId;
    let entries = this.#rows.get(rowId);
    if (!entries) {
      rowId = rowId.toLowerCase();
      if (rowId === place.rowId || !(entries = this.#rows.get(rowId))) return undefined;
    }
    const i = this.#indexOf(entries, place);
    if (i < 0) return undefined;
    const e = entries[i];
    if (e.expiresAt <= this.#now()) {
      this.#remove(rowId, entries, i);
      return undefined;
    }
    return sameBytes(e.ciphertext, ciphertext) ? e : undefined;
  }

  set(place: Place, ciphertext: Uint8Array, mask: CachedMask): void {
    if (this.#maxEntries === 0) return;
    const rowId = place.rowId.toLowerCase();
    const entry: Entry = {
      tenantId: place.tenantId.toLowerCase(),
      table: place.table,
      column: place.column,
      ciphertext: ciphertext.slice(),
      masked: mask.masked,
      keyVersion: mask.keyVersion,
      expiresAt: this.#now() + this.#ttlMs,
    };
    const entries = this.#rows.get(rowId);
    if (entries) {
      const i = this.#indexOf(entries, place);
      if (i >= 0) {
        entries[i] = entry;
        return;
      }
    }
    while (this.#size >= this.#maxEntries) this.#evictOldestRow();
    if (entries && this.#rows.has(rowId)) entries.push(entry);
    else this.#rows.set(rowId, [entry]);
    this.#size++;
  }

  get size(): number {
    return this.#size;
  }

  #indexOf(entries: Entry[], place: Place): number {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (
        e.column === place.column && e.table === place.table &&
        (e.tenantId === place.tenantId || e.tenantId === place.tenantId.toLowerCase())
      ) return i;
    }
    return -1;
  }

  #remove(rowId: string, entries: Entry[], i: number): void {
    entries.splice(i, 1);
    this.#size--;
    if (entries.length === 0) this.#rows.delete(rowId);
  }

  #evictOldestRow(): void {
    const [rowId, entries] = this.#rows.entries().next().value!;
    this.#rows.delete(rowId);
    this.#size -= entries.length;
  }
}
