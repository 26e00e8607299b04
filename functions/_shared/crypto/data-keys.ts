/**
 * Per-tenant data keys (DEKs), stored only wrapped by a KEK in
 * `private.tenant_data_keys` (RLS on, no API policies; reached only through
 * the owner / service-role connection injected here).
 *
 * - created on first use (version 1), one `active` version per tenant;
 * - encryptions are counted per key: a process reserves a batch of counts in
 *   one UPDATE and spends them in memory, so the database count is always ≥
 *   the number of encryptions really made with the key (never under-counted);
 * - when the active key cannot grant more (limit reached) it is retired and a
 *   new version becomes active (automatic rotation, SP 800-38D 2^32 guard);
 * - unwrapped keys are cached in memory for a bounded time and count.
 */
import { type Kysely, sql } from "kysely";
import { integrityError, keyUnavailable } from "./errors.ts";
import { type KekRing, newRawDataKey } from "./kek.ts";
import { BoundedMap } from "../bounded-map.ts";

export type DataKeyStatus = "active" | "retired" | "destroyed";

export interface DataKeyRow {
  tenant_id: string;
  version: number;
  kek_version: number;
  wrapped_key: Uint8Array | null;
  status: DataKeyStatus;
  encryption_count: string | number;
}

export interface DataKeyStoreOptions {
  maxEncryptionsPerKey: number;
  reserveBatch: number;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  now?: () => number;
}

interface CacheEntry {
  key: Promise<CryptoKey>;
  expiresAt: number;
}

interface Lease {
  version: number;
  remaining: number;
  expiresAt: number;
  key?: CryptoKey;
}

// deno-lint-ignore no-explicit-any
export type AnyDb = Kysely<any>;

export class DataKeyStore {
  #db: AnyDb;
  #keks: KekRing;
  #opt: Required<DataKeyStoreOptions>;
  #cache: BoundedMap<string, CacheEntry>;
  #leases = new Map<string, Lease>();
  #refilling = new Map<string, Promise<void>>();

  constructor(db: AnyDb, keks: KekRing, opt: DataKeyStoreOptions) {
    this.#db = db;
    this.#keks = keks;
    this.#opt = { now: Date.now, ...opt };
    this.#cache = new BoundedMap(opt.cacheMaxEntries);
  }

  get kekRing(): KekRing {
    return this.#keks;
  }

  /** Spends one counted encryption of the tenant's active key: returns its version and key. */
  async forEncryption(tenantId: string): Promise<{ version: number; key: CryptoKey }> {
    for (;;) {
      const lease = this.#leases.get(tenantId);
      if (lease && lease.remaining > 0 && lease.expiresAt > this.#opt.now()) {
        lease.remaining--;
        // the lease keeps its unwrapped key for its (TTL-bounded) life
        lease.key ??= await this.forDecryption(tenantId, lease.version);
        return { version: lease.version, key: lease.key };
      }
      const pending = this.#refilling.get(tenantId);
      if (pending) {
        await pending;
        continue;
      }
      const p = this.#refill(tenantId).finally(() => this.#refilling.delete(tenantId));
      this.#refilling.set(tenantId, p);
      await p;
    }
  }

  /** Any non-destroyed version; wrong/missing version → integrity_error, destroyed → key_unavailable. */
  forDecryption(tenantId: string, version: number): Promise<CryptoKey> {
    const id = `${tenantId.toLowerCase()}:${version}`;
    const now = this.#opt.now();
    const hit = this.#cache.get(id);
    if (hit && hit.expiresAt > now) return hit.key;
    if (hit) this.#cache.delete(id);
    const key = this.#load(tenantId, version);
    key.catch(() => this.#cache.delete(id));
    this.#cache.set(id, { key, expiresAt: now + this.#opt.cacheTtlMs });
    return key;
  }

  async #load(tenantId: string, version: number): Promise<CryptoKey> {
    if (!Number.isInteger(version) || version < 1 || version > 0x7fffffff) throw integrityError();
    const { rows } = await sql<DataKeyRow>`
      select kek_version, wrapped_key, status from private.tenant_data_keys
      where tenant_id = ${tenantId}::uuid and version = ${version}`.execute(this.#db);
    const row = rows[0];
    if (!row) throw integrityError();
    if (row.status === "destroyed" || row.wrapped_key === null) throw keyUnavailable();
    if (!this.#keks.has(row.kek_version)) throw keyUnavailable();
    return await this.#keks.unwrap(tenantId, version, row.kek_version, new Uint8Array(row.wrapped_key));
  }

  /** Reserves a batch of encryptions on the active key, rotating it first when exhausted. */
  async #refill(tenantId: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { rows } = await sql<{ version: number; granted: string }>`
        with k as (
          select tenant_id, version,
                 least(${this.#opt.reserveBatch}::bigint, ${this.#opt.maxEncryptionsPerKey}::bigint - encryption_count) as granted
          from private.tenant_data_keys
          where tenant_id = ${tenantId}::uuid and status = 'active'
            and encryption_count < ${this.#opt.maxEncryptionsPerKey}::bigint
          for update
        )
        update private.tenant_data_keys d
        set encryption_count = d.encryption_count + k.granted
        from k where d.tenant_id = k.tenant_id and d.version = k.version
        returning d.version, k.granted`.execute(this.#db);
      if (rows[0]) {
        this.#leases.set(tenantId, {
          version: rows[0].version,
          remaining: Number(rows[0].granted),
          expiresAt: this.#opt.now() + this.#opt.cacheTtlMs,
        });
        return;
      }
      await this.rotate(tenantId, { onlyIfExhausted: true });
    }
    throw new Error("could not reserve a data key (rotation kept racing)");
  }

  /**
   * Makes a new data-key version active and retires the previous one (which
   * still decrypts). With onlyIfExhausted, does nothing when a usable active
   * key exists (another process rotated first). Returns the active version.
   */
  async rotate(
    tenantId: string,
    opts: { onlyIfExhausted?: boolean; inSameTransaction?: (tx: AnyDb, version: number) => Promise<void> } = {},
  ): Promise<number> {
    const raw = newRawDataKey();
    try {
      const version = await this.#db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${"kazi.dek:" + tenantId.toLowerCase()}, 0))`
          .execute(tx);
        const { rows } = await sql<{ version: number; encryption_count: string; max_version: number; live: number }>`
          select (select version from private.tenant_data_keys
                  where tenant_id = ${tenantId}::uuid and status = 'active') as version,
                 (select encryption_count from private.tenant_data_keys
                  where tenant_id = ${tenantId}::uuid and status = 'active') as encryption_count,
                 coalesce((select max(version) from private.tenant_data_keys
                  where tenant_id = ${tenantId}::uuid), 0) as max_version,
                 (select count(*)::int from private.tenant_data_keys
                  where tenant_id = ${tenantId}::uuid and status <> 'destroyed') as live`.execute(tx);
        const cur = rows[0];
        // A tenant whose keys were all destroyed was crypto-shredded: no new key, no new PII.
        if (cur.max_version > 0 && cur.live === 0) throw keyUnavailable();
        if (
          opts.onlyIfExhausted && cur.version !== null &&
          BigInt(cur.encryption_count) < BigInt(this.#opt.maxEncryptionsPerKey)
        ) return cur.version;
        const next = cur.max_version + 1;
        const wrapped = await this.#keks.wrap(tenantId, next, raw);
        await sql`update private.tenant_data_keys set status = 'retired', retired_at = now()
                  where tenant_id = ${tenantId}::uuid and status = 'active'`.execute(tx);
        await sql`insert into private.tenant_data_keys (tenant_id, version, kek_version, wrapped_key, status)
                  values (${tenantId}::uuid, ${next}, ${wrapped.kekVersion}, ${wrapped.wrappedKey}, 'active')`
          .execute(tx);
        await opts.inSameTransaction?.(tx, next);
        return next;
      });
      this.#leases.delete(tenantId);
      return version;
    } finally {
      raw.fill(0);
    }
  }

  /** The active version, or null when the tenant has none yet. */
  async activeVersion(tenantId: string): Promise<number | null> {
    const { rows } = await sql<{ version: number }>`
      select version from private.tenant_data_keys
      where tenant_id = ${tenantId}::uuid and status = 'active'`.execute(this.#db);
    return rows[0]?.version ?? null;
  }

  /** Crypto-shredding: forgets every key of the tenant (wrapped bytes nulled). Irreversible. */
  async destroyTenant(tenantId: string): Promise<number> {
    const { rows } = await sql<{ version: number }>`
      update private.tenant_data_keys
      set status = 'destroyed', wrapped_key = null, destroyed_at = now(), retired_at = coalesce(retired_at, now())
      where tenant_id = ${tenantId}::uuid and status <> 'destroyed'
      returning version`.execute(this.#db);
    this.evictTenant(tenantId);
    return rows.length;
  }

  /** Destroys one retired version (callers check first that no row uses it). */
  async destroyVersion(tenantId: string, version: number): Promise<boolean> {
    const { rows } = await sql<{ version: number }>`
      update private.tenant_data_keys
      set status = 'destroyed', wrapped_key = null, destroyed_at = now()
      where tenant_id = ${tenantId}::uuid and version = ${version} and status = 'retired'
      returning version`.execute(this.#db);
    this.#cache.delete(`${tenantId.toLowerCase()}:${version}`);
    return rows.length === 1;
  }

  /** Drops this process's cached keys and lease for a tenant. */
  evictTenant(tenantId: string): void {
    const prefix = `${tenantId.toLowerCase()}:`;
    for (const id of [...this.#cache.keys()]) if (id.startsWith(prefix)) this.#cache.delete(id);
    this.#leases.delete(tenantId);
  }

  /** For tests/metrics: how many unwrapped keys are cached. */
  get cachedKeyCount(): number {
    return this.#cache.size;
  }

  /**
   * KEK rotation for one wrapped key: unwrap with its KEK, rewrap with the
   * active KEK, compare-and-set on the old KEK version. Idempotent.
   */
  async rewrap(tenantId: string, version: number, db: AnyDb = this.#db): Promise<boolean> {
    const { rows } = await sql<DataKeyRow>`
      select kek_version, wrapped_key, status from private.tenant_data_keys
      where tenant_id = ${tenantId}::uuid and version = ${version}`.execute(db);
    const row = rows[0];
    if (!row || row.wrapped_key === null || row.kek_version === this.#keks.activeVersion) return false;
    const raw = await this.#keks.unwrapRaw(tenantId, version, row.kek_version, new Uint8Array(row.wrapped_key));
    try {
      const w = await this.#keks.wrap(tenantId, version, raw);
      const upd = await sql`
        update private.tenant_data_keys set kek_version = ${w.kekVersion}, wrapped_key = ${w.wrappedKey}
        where tenant_id = ${tenantId}::uuid and version = ${version} and kek_version = ${row.kek_version}
          and wrapped_key is not null`.execute(db);
      return Number(upd.numAffectedRows ?? 0) === 1;
    } finally {
      raw.fill(0);
    }
  }
}

