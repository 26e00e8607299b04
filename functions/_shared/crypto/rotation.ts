/**
 * Resumable key rotation, with state in `private.key_rotation_jobs`.
 *
 * Data-key rotation (one tenant): in one transaction a new data-key version
 * becomes active and a job row records it as the target. Then batches: each
 * batch runs in ONE transaction that locks the job row, reads up to N rows
 * (ordered by id, after the cursor) holding a ciphertext of an older version,
 * decrypts and re-encrypts them, writes them back with compare-and-set on the
 * old ciphertexts (a row edited meanwhile is left alone and retried in the
 * next pass), and advances the cursor and counters. A crash (even SIGKILL)
 * loses at most the uncommitted batch, which the next run redoes. When a full
 * pass finds nothing older than the target, retired versions that no row uses
 * (and that were retired longer ago than the lease grace) are destroyed.
 *
 * KEK rotation: rewraps every data key whose KEK is not the active one, with
 * compare-and-set on the old KEK version; resumable the same way.
 *
 * Tables are discovered (pii-tables.ts).
 */
import { Buffer } from "node:buffer";
import { sql } from "kysely";
import type { AuditSink } from "../audit.ts";
import type { AnyDb } from "./data-keys.ts";
import { isCryptoError } from "./errors.ts";
import { openField, sealField } from "./field-cipher.ts";
import type { PiiVault } from "./pii-vault.ts";
import { countOlderRows, countRowsUsingVersion, discoverPiiTables, olderThan, type PiiTable } from "./pii-tables.ts";

export { countOlderRows, countRowsUsingVersion, discoverPiiTables };

export type JobKind = "kek_rewrap" | "data_key_reencrypt";

export interface RotationProgress {
  jobId: string;
  kind: JobKind;
  total: number;
  done: number;
  skipped: number;
  pass: number;
}

export interface RotationOptions {
  batchSize?: number;
  onProgress?: (p: RotationProgress) => void;
  /** Pause between batches (throttling on a busy database; tests use it to kill mid-way). */
  pauseMs?: number;
  /** Test hook: runs after a batch is read and re-encrypted, before it is written. */
  beforeWrite?: (rowIds: string[]) => Promise<void>;
  audit?: AuditSink;
  startedBy?: string;
  /** Retired keys younger than this are kept (a process may still hold an encryption lease). */
  destroyGraceMs?: number;
  /** Full passes before giving up on rows that keep changing. */
  maxPasses?: number;
}

export interface RotationResult {
  jobId: string;
  resumed: boolean;
  targetVersion: number;
  done: number;
  skipped: number;
  status: "completed" | "failed";
  destroyedVersions: number[];
}

interface Cursor {
  table_index?: number;
  after_id?: string | null;
  pass?: number;
  after_tenant?: string | null;
  after_version?: number | null;
}

interface PreparedBatch {
  read: number;
  lastId: string | null;
  ids: string[];
  olds: (Buffer | null)[][];
  news: (Buffer | null)[][];
  unreadable: number;
}

interface JobRow {
  id: string;
  target_version: number;
  cursor: Cursor;
  rows_total: string;
  rows_done: string;
  rows_skipped: string;
  status: string;
}

/** Rows re-encrypted concurrently within a batch (WebCrypto runs off the main thread). */
const CONCURRENCY = 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class KeyRotation {
  #db: AnyDb;
  #vault: PiiVault;

  constructor(db: AnyDb, vault: PiiVault) {
    this.#db = db;
    this.#vault = vault;
  }

  /** Rotates a tenant's data key and re-encrypts its rows; resumes a running job if there is one. */
  async rotateTenantDataKey(tenantId: string, opt: RotationOptions = {}): Promise<RotationResult> {
    const batchSize = opt.batchSize ?? 500;
    const maxPasses = opt.maxPasses ?? 3;
    const tables = await discoverPiiTables(this.#db);
    let job = await this.#runningJob("data_key_reencrypt", tenantId);
    const resumed = job !== null;
    if (!job) {
      let jobId = "";
      await this.#vault.keys.rotate(tenantId, {
        inSameTransaction: async (tx, version) => {
          const total = await countOlderRows(tx, tenantId, version, tables);
          const { rows } = await sql<{ id: string }>`
            insert into private.key_rotation_jobs (kind, tenant_id, target_version, rows_total, cursor, started_by)
            values ('data_key_reencrypt', ${tenantId}::uuid, ${version}, ${total},
                    ${JSON.stringify({ table_index: 0, after_id: null, pass: 1 })}::jsonb, ${opt.startedBy ?? null})
            returning id`.execute(tx);
          jobId = rows[0].id;
        },
      });
      job = (await this.#job(this.#db, jobId))!;
      await opt.audit?.record({
        action: "pii.data_key_rotation_started", tenantId, resourceType: "key_rotation_job", resourceId: job.id,
        details: { target_version: job.target_version }, actorRole: opt.startedBy ?? "system",
      });
    }
    const target = job.target_version;

    // The next batch is read and re-encrypted (on another connection) while the
    // current one is written; it is used only if the committed cursor is the one
    // it assumed. Correctness never depends on it: every write is compare-and-set.
    let prefetch: { key: string; batch: Promise<PreparedBatch> } | null = null;
    const prepare = (db: AnyDb, t: PiiTable, afterId: string | null) =>
      this.#prepareBatch(db, tenantId, t, target, afterId, batchSize);
    try {
      for (;;) {
        const step = await this.#db.transaction().execute(async (tx) => {
          const j = (await this.#job(tx, job!.id, true))!;
          if (j.status !== "running") return { finished: true };
          const cur: Required<Pick<Cursor, "table_index" | "pass">> & Cursor = { table_index: 0, pass: 1, ...j.cursor };
          if (cur.table_index >= tables.length) {
            const left = await countOlderRows(tx, tenantId, target, tables);
            if (left > 0 && cur.pass < maxPasses) {
              await this.#saveCursor(tx, j.id, { table_index: 0, after_id: null, pass: cur.pass + 1 }, 0, 0);
              return { finished: false };
            }
            await sql`update private.key_rotation_jobs set status = ${left === 0 ? "completed" : "failed"},
                      last_error = ${left === 0 ? null : "rows_still_changing"}, finished_at = now()
                      where id = ${j.id}::uuid`.execute(tx);
            return { finished: true };
          }
          const t = tables[cur.table_index];
          const key = `${cur.table_index}|${cur.after_id ?? ""}|${cur.pass}`;
          const mine = prefetch?.key === key ? prefetch.batch : null;
          await prefetch?.batch.catch(() => {});
          prefetch = null;
          const b = mine ? await mine : await prepare(tx, t, cur.after_id ?? null);
          if (b.read === 0) {
            await this.#saveCursor(tx, j.id, { table_index: cur.table_index + 1, after_id: null, pass: cur.pass }, 0, 0);
            return { finished: false };
          }
          const next = prepare(this.#db, t, b.lastId);
          next.catch(() => {}); // awaited (and its error surfaced) by the next step
          prefetch = { key: `${cur.table_index}|${b.lastId}|${cur.pass}`, batch: next };
          await opt.beforeWrite?.(b.ids);
          const written = await this.#writeBatch(tx, tenantId, t, b);
          await this.#saveCursor(tx, j.id, { table_index: cur.table_index, after_id: b.lastId, pass: cur.pass }, written, b.unreadable);
          return { finished: false };
        });
        const now = (await this.#job(this.#db, job.id))!;
        opt.onProgress?.(progressOf(now, "data_key_reencrypt"));
        if (step.finished) break;
        if (opt.pauseMs) await sleep(opt.pauseMs);
      }
    } finally {
      await (prefetch as { batch: Promise<PreparedBatch> } | null)?.batch.catch(() => {});
    }

    const final = (await this.#job(this.#db, job.id))!;
    const destroyed: number[] = [];
    if (final.status === "completed") {
      const grace = opt.destroyGraceMs ?? 15 * 60_000;
      const { rows } = await sql<{ version: number }>`
        select version from private.tenant_data_keys
        where tenant_id = ${tenantId}::uuid and status = 'retired' and version < ${target}
          and retired_at < now() - make_interval(secs => ${grace / 1000})
        order by version`.execute(this.#db);
      for (const r of rows) {
        if (await countRowsUsingVersion(this.#db, tenantId, r.version, tables) === 0 &&
          await this.#vault.keys.destroyVersion(tenantId, r.version)) destroyed.push(r.version);
      }
    }
    await opt.audit?.record({
      action: "pii.data_key_rotation_finished", tenantId, resourceType: "key_rotation_job", resourceId: final.id,
      outcome: final.status === "completed" ? "success" : "error", actorRole: opt.startedBy ?? "system",
      details: { target_version: target, rows_done: Number(final.rows_done), rows_skipped: Number(final.rows_skipped), destroyed_versions: destroyed },
    });
    return {
      jobId: final.id, resumed, targetVersion: target, done: Number(final.rows_done), skipped: Number(final.rows_skipped),
      status: final.status as "completed" | "failed", destroyedVersions: destroyed,
    };
  }

  /**
   * Rewraps every data key (or one tenant's, with `tenantId`) to the active
   * KEK; resumes a running job if there is one. A key that its recorded KEK
   * cannot unwrap is counted as skipped and the job ends `failed`
   * (`keys_left_unwrapped`), so the old KEK is never removed while needed.
   */
  async rotateKek(opt: RotationOptions & { tenantId?: string } = {}): Promise<RotationResult> {
    const only = opt.tenantId ?? null;
    const scope = only ? sql`and tenant_id = ${only}::uuid` : sql``;
    const batchSize = opt.batchSize ?? 200;
    const ring = this.#vault.keys.kekRing;
    const target = ring.activeVersion;
    let job = await this.#runningJob("kek_rewrap", only);
    const resumed = job !== null;
    if (job && job.target_version !== target) {
      // the active KEK changed since: close the old job, start one for the new target
      await sql`update private.key_rotation_jobs set status = 'failed', last_error = 'superseded', finished_at = now()
                where id = ${job.id}::uuid`.execute(this.#db);
      job = null;
    }
    if (!job) {
      const { rows } = await sql<{ id: string }>`
        insert into private.key_rotation_jobs (kind, tenant_id, target_version, rows_total, started_by)
        select 'kek_rewrap', ${only}::uuid, ${target}, count(*), ${opt.startedBy ?? null} from private.tenant_data_keys
        where kek_version <> ${target} and status <> 'destroyed' ${scope}
        returning id`.execute(this.#db);
      job = (await this.#job(this.#db, rows[0].id))!;
      await opt.audit?.record({
        action: "pii.kek_rotation_started", tenantId: only, resourceType: "key_rotation_job", resourceId: job.id,
        details: { target_kek_version: target }, actorRole: opt.startedBy ?? "system",
      });
    }
    for (;;) {
      const finished = await this.#db.transaction().execute(async (tx) => {
        const j = (await this.#job(tx, job!.id, true))!;
        if (j.status !== "running") return true;
        const c = j.cursor;
        const { rows } = await sql<{ tenant_id: string; version: number }>`
          select tenant_id, version from private.tenant_data_keys
          where kek_version <> ${target} and status <> 'destroyed' ${scope}
            ${c.after_tenant ? sql`and (tenant_id, version) > (${c.after_tenant}::uuid, ${c.after_version}::int)` : sql``}
          order by tenant_id, version limit ${batchSize}`.execute(tx);
        if (rows.length === 0) {
          const { rows: left } = await sql<{ n: number }>`select count(*)::int as n from private.tenant_data_keys
            where kek_version <> ${target} and status <> 'destroyed' ${scope}`.execute(tx);
          await sql`update private.key_rotation_jobs set status = ${left[0].n === 0 ? "completed" : "failed"},
                    last_error = ${left[0].n === 0 ? null : "keys_left_unwrapped"}, finished_at = now()
                    where id = ${j.id}::uuid`.execute(tx);
          return true;
        }
        let done = 0;
        let skipped = 0;
        for (const r of rows) {
          try {
            if (await this.#vault.keys.rewrap(r.tenant_id, r.version, tx)) done++;
          } catch (e) {
            if (!isCryptoError(e)) throw e;
            skipped++;
          }
        }
        const last = rows[rows.length - 1];
        await this.#saveCursor(tx, j.id, { after_tenant: last.tenant_id, after_version: last.version }, done, skipped);
        return false;
      });
      const now = (await this.#job(this.#db, job.id))!;
      opt.onProgress?.(progressOf(now, "kek_rewrap"));
      if (finished) break;
      if (opt.pauseMs) await sleep(opt.pauseMs);
    }
    const final = (await this.#job(this.#db, job.id))!;
    await opt.audit?.record({
      action: "pii.kek_rotation_finished", tenantId: only, resourceType: "key_rotation_job", resourceId: final.id,
      outcome: final.status === "completed" ? "success" : "error", actorRole: opt.startedBy ?? "system",
      details: { target_kek_version: target, keys_rewrapped: Number(final.rows_done), keys_skipped: Number(final.rows_skipped) },
    });
    return {
      jobId: final.id, resumed, targetVersion: target, done: Number(final.rows_done), skipped: Number(final.rows_skipped),
      status: final.status as "completed" | "failed", destroyedVersions: [],
    };
  }

  /** Reads up to `limit` rows after `afterId` holding an older ciphertext and re-encrypts them in memory. */
  async #prepareBatch(
    db: AnyDb, tenantId: string, t: PiiTable, target: number, afterId: string | null, limit: number,
  ): Promise<PreparedBatch> {
    const { rows } = await sql<Record<string, Uint8Array | string | null>>`
      select id, ${sql.join(t.columns.map((c) => sql.ref(c)))} from ${sql.table(`public.${t.table}`)}
      where tenant_id = ${tenantId}::uuid
        ${afterId ? sql`and id > ${afterId}::uuid` : sql``}
        and (${olderThan(t.columns, target)})
      order by id limit ${limit}`.execute(db);
    const b: PreparedBatch = {
      read: rows.length, lastId: (rows.at(-1)?.id as string) ?? null, ids: [], unreadable: 0,
      olds: t.columns.map(() => []), news: t.columns.map(() => []),
    };
    const reencryptRow = async (row: Record<string, Uint8Array | string | null>) => {
      const rowOld: (Buffer | null)[] = [];
      const rowNew: (Buffer | null)[] = [];
      for (const column of t.columns) {
        const v = row[column] as Uint8Array | null;
        if (v === null) {
          rowOld.push(null);
          rowNew.push(null);
          continue;
        }
        const old = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        if (v.byteLength < 5 || old.readUInt32BE(1) >= target) {
          rowOld.push(old);
          rowNew.push(old);
          continue;
        }
        const place = { tenantId, table: t.table, column, rowId: row.id as string };
        try {
          const plain = await openField((ver) => this.#vault.keys.forDecryption(tenantId, ver), place, old);
          const { version, key } = await this.#vault.keys.forEncryption(tenantId);
          rowOld.push(old);
          rowNew.push(Buffer.from(await sealField(key, version, place, plain)));
        } catch (e) {
          if (!isCryptoError(e)) throw e;
          return null; // tampered or shredded: leave the row as it is, count it, move on
        }
      }
      return { id: row.id as string, rowOld, rowNew };
    };
    for (let i = 0; i < rows.length; i += CONCURRENCY) {
      for (const r of await Promise.all(rows.slice(i, i + CONCURRENCY).map(reencryptRow))) {
        if (r === null) {
          b.unreadable++;
          continue;
        }
        b.ids.push(r.id);
        t.columns.forEach((_, c) => {
          b.olds[c].push(r.rowOld[c]);
          b.news[c].push(r.rowNew[c]);
        });
      }
    }
    return b;
  }

  /** One UPDATE for the batch; a row is written only if none of its ciphertexts changed since read. */
  async #writeBatch(tx: AnyDb, tenantId: string, t: PiiTable, b: PreparedBatch): Promise<number> {
    if (b.ids.length === 0) return 0;
    const vals = sql.join(t.columns.flatMap((_, i) => [sql`${b.olds[i]}::bytea[]`, sql`${b.news[i]}::bytea[]`]));
    const aliases = sql.raw(t.columns.flatMap((_, i) => [`o${i}`, `n${i}`]).join(", "));
    const sets = sql.join(t.columns.map((c, i) => sql`${sql.ref(c)} = ${sql.ref(`v.n${i}`)}`));
    const cas = sql.join(
      t.columns.map((c, i) => sql`e.${sql.ref(c)} is not distinct from ${sql.ref(`v.o${i}`)}`),
      sql` and `,
    );
    const upd = await sql`
      update ${sql.table(`public.${t.table}`)} as e set ${sets}
      from unnest(${b.ids}::uuid[], ${vals}) as v(id, ${aliases})
      where e.id = v.id and e.tenant_id = ${tenantId}::uuid and ${cas}`.execute(tx);
    return Number(upd.numAffectedRows ?? 0);
  }

  async #runningJob(kind: JobKind, tenantId: string | null): Promise<JobRow | null> {
    const { rows } = await sql<JobRow>`select id, target_version, cursor, rows_total, rows_done, rows_skipped, status
      from private.key_rotation_jobs where kind = ${kind} and status = 'running'
        and tenant_id is not distinct from ${tenantId}::uuid`.execute(this.#db);
    return rows[0] ?? null;
  }

  async #job(db: AnyDb, id: string, lock = false): Promise<JobRow | null> {
    const { rows } = await sql<JobRow>`select id, target_version, cursor, rows_total, rows_done, rows_skipped, status
      from private.key_rotation_jobs where id = ${id}::uuid ${lock ? sql`for update` : sql``}`.execute(db);
    return rows[0] ?? null;
  }

  async #saveCursor(db: AnyDb, id: string, cursor: Cursor, done: number, skipped: number) {
    await sql`update private.key_rotation_jobs set cursor = ${JSON.stringify(cursor)}::jsonb,
      rows_done = rows_done + ${done}, rows_skipped = rows_skipped + ${skipped}
      where id = ${id}::uuid`.execute(db);
  }
}

function progressOf(j: JobRow, kind: JobKind): RotationProgress {
  return {
    jobId: j.id, kind, total: Number(j.rows_total), done: Number(j.rows_done), skipped: Number(j.rows_skipped),
    pass: j.cursor.pass ?? 1,
  };
}
