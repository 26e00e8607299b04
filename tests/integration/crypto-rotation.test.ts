/**
 * Key rotation against the real database (KAZI_TEST_DB_URL): re-encryption in
 * batches, concurrent edits, SIGKILL in the middle of the rotation command,
 * KEK rotation, and no plaintext or key material in any line the command prints.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { countRowsUsingVersion, KeyRotation } from "../../functions/_shared/crypto/rotation.ts";
import { createTenant, openTestDb, SKIP_DB_MESSAGE, TEST_DB_URL } from "../../functions/_shared/crypto/test-db.ts";
import { testEnv } from "../../functions/_shared/crypto/test-support.ts";
import { PII_FIELDS, type PiiField } from "../../functions/_shared/pii/fields.ts";
import type { AnyDb } from "../../functions/_shared/crypto/data-keys.ts";
import { createMemoryAuditSink } from "../../functions/_shared/audit.ts";

const ignore = !TEST_DB_URL;
if (ignore) console.warn(SKIP_DB_MESSAGE);
const ROOT = new URL("../../", import.meta.url).pathname;

function dbTest(name: string, fn: (db: AnyDb) => Promise<void>) {
  Deno.test({
    name, ignore, sanitizeResources: false, sanitizeOps: false,
    fn: async () => {
      const h = openTestDb(6);
      try {
        await fn(h.db);
      } finally {
        await h.close();
      }
    },
  });
}

type Plain = Record<PiiField, string>;
const valuesFor = (i: number): Plain => ({
  kra_pin: `A${String(100000000 + i).slice(-9)}K`,
  national_id: String(20000000 + i),
  phone: `+2547${String(10000000 + i).slice(-8)}`,
  bank_account: String(1000000000 + i),
});

/** n employees (four fields each) and a few onboarding cases, inserted in bulk. */
async function populate(db: AnyDb, vault: PiiVault, tenantId: string, n: number) {
  const rows: Array<{ table: string; id: string; plain: Plain }> = [];
  const chunk = 200;
  for (let start = 0; start < n; start += chunk) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) {
      const id = crypto.randomUUID();
      const plain = valuesFor(i);
      const enc: Record<string, Uint8Array> = {};
      for (const f of PII_FIELDS) {
        const e = await vault.encryptField({ tenantId, table: "employees", field: f, rowId: id, value: plain[f] });
        enc[`${f}_ciphertext`] = e.ciphertext;
        enc[`${f}_blind_index`] = e.blindIndex;
      }
      batch.push(sql`(${id}::uuid, ${tenantId}::uuid, ${"E" + i}, 'Test', 'Employee',
        ${enc.kra_pin_ciphertext}, ${enc.kra_pin_blind_index}, ${enc.national_id_ciphertext}, ${enc.national_id_blind_index},
        ${enc.phone_ciphertext}, ${enc.phone_blind_index}, ${enc.bank_account_ciphertext}, ${enc.bank_account_blind_index})`);
      rows.push({ table: "employees", id, plain });
    }
    await sql`insert into public.employees (id, tenant_id, employee_number, first_name, last_name,
      kra_pin_ciphertext, kra_pin_blind_index, national_id_ciphertext, national_id_blind_index,
      phone_ciphertext, phone_blind_index, bank_account_ciphertext, bank_account_blind_index)
      values ${sql.join(batch)}`.execute(db);
  }
  for (let i = 0; i < 5; i++) {
    const id = crypto.randomUUID();
    const plain = valuesFor(900000 + i);
    const enc: Record<string, Uint8Array> = {};
    for (const f of PII_FIELDS) {
      enc[f] = (await vault.encryptField({ tenantId, table: "onboarding_cases", field: f, rowId: id, value: plain[f] })).ciphertext;
    }
    await sql`insert into public.onboarding_cases (id, tenant_id, kra_pin_ciphertext, national_id_ciphertext, phone_ciphertext, bank_account_ciphertext)
      values (${id}::uuid, ${tenantId}::uuid, ${enc.kra_pin}, ${enc.national_id}, ${enc.phone}, ${enc.bank_account})`.execute(db);
    rows.push({ table: "onboarding_cases", id, plain });
  }
  return rows;
}

/** Every row decrypts to exactly its original values (none lost, none doubled). */
async function assertAllDecrypt(db: AnyDb, vault: PiiVault, tenantId: string, rows: Array<{ table: string; id: string; plain: Plain }>) {
  for (const table of ["employees", "onboarding_cases"]) {
    const mine = rows.filter((r) => r.table === table);
    const { rows: stored } = await sql<Record<string, Uint8Array> & { id: string }>`
      select id, kra_pin_ciphertext, national_id_ciphertext, phone_ciphertext, bank_account_ciphertext
      from ${sql.table(`public.${table}`)} where tenant_id = ${tenantId}::uuid`.execute(db);
    assert.equal(stored.length, mine.length, `${table}: row count unchanged`);
    const byId = new Map(stored.map((s) => [s.id, s]));
    for (const r of mine) {
      const s = byId.get(r.id);
      assert.ok(s, `${table} row ${r.id} still there`);
      for (const f of PII_FIELDS) {
        const got = await vault.decryptField({ tenantId, table, field: f, rowId: r.id, ciphertext: new Uint8Array(s[`${f}_ciphertext`]) });
        assert.equal(got, r.plain[f]);
      }
    }
  }
}

dbTest("data-key rotation: old ciphertexts decrypt after the rotation; re-encryption leaves no row on the retired version", async (db) => {
  const config = loadCryptoConfig(testEnv());
  const vault = PiiVault.create(db, config);
  const tenantId = await createTenant(db);
  const other = await createTenant(db);
  const rows = await populate(db, vault, tenantId, 120);
  const otherRows = await populate(db, vault, other, 10);
  await vault.keys.rotate(tenantId); // v2 active, v1 retired: v1 values still read
  await assertAllDecrypt(db, PiiVault.create(db, config), tenantId, rows);

  const audit = createMemoryAuditSink();
  const seen: number[] = [];
  const r = await new KeyRotation(db, vault).rotateTenantDataKey(tenantId, {
    batchSize: 25, destroyGraceMs: 0, audit, onProgress: (p) => seen.push(p.done),
  });
  // a running job did not exist, so the command made v3 the target (v2 had been made by hand above)
  assert.equal(r.status, "completed");
  assert.equal(r.resumed, false);
  assert.equal(r.targetVersion, 3);
  assert.equal(r.done, 125);
  assert.deepEqual(r.destroyedVersions, [1, 2]);
  assert.ok(seen.length >= 5 && seen.at(-1) === 125, "progress reported per batch");
  assert.equal(await countRowsUsingVersion(db, tenantId, 1), 0);
  assert.deepEqual(audit.events.map((e) => e.action), ["pii.data_key_rotation_started", "pii.data_key_rotation_finished"]);
  assert.ok(!JSON.stringify(audit.events).includes(rows[0].plain.kra_pin));
  await assertAllDecrypt(db, PiiVault.create(db, config), tenantId, rows);
  await assertAllDecrypt(db, vault, other, otherRows); // another tenant is untouched
  const { rows: keys } = await sql<{ version: number; status: string }>`select version, status from private.tenant_data_keys
    where tenant_id = ${tenantId}::uuid order by version`.execute(db);
  assert.deepEqual(keys, [{ version: 1, status: "destroyed" }, { version: 2, status: "destroyed" }, { version: 3, status: "active" }]);
});

dbTest("data-key rotation never overwrites a newer value: a concurrent edit during the batch survives", async (db) => {
  const config = loadCryptoConfig(testEnv());
  const vault = PiiVault.create(db, config);
  const editor = PiiVault.create(db, config); // the API, in another process
  const tenantId = await createTenant(db);
  const rows = await populate(db, vault, tenantId, 30);
  const victim = rows[3];
  let edited = false;
  const r = await new KeyRotation(db, vault).rotateTenantDataKey(tenantId, {
    batchSize: 10, destroyGraceMs: 0,
    beforeWrite: async (ids) => {
      if (edited || !ids.includes(victim.id)) return;
      edited = true;
      const e = await editor.encryptField({ tenantId, table: "employees", field: "phone", rowId: victim.id, value: "0799999999" });
      // committed on another connection between the runner's read and its write
      await sql`update public.employees set phone_ciphertext = ${e.ciphertext}, phone_blind_index = ${e.blindIndex}
        where id = ${victim.id}::uuid`.execute(db);
    },
  });
  assert.ok(edited);
  assert.equal(r.status, "completed");
  victim.plain = { ...victim.plain, phone: "+254799999999" };
  await assertAllDecrypt(db, PiiVault.create(db, config), tenantId, rows);
  assert.equal(await countRowsUsingVersion(db, tenantId, 1), 0, "the edited row was finished in a later pass");
});

function runCommand(env: Record<string, string>, args: string[]) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/rotate-keys.ts`, ...args],
    cwd: ROOT,
    env: { ...env, SUPABASE_DB_URL: TEST_DB_URL!, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  return cmd.spawn();
}

async function readAll(s: ReadableStream<Uint8Array>) {
  return await new Response(s).text();
}

dbTest("SIGKILL in the middle of the rotation command, run it again: it resumes; every row decrypts, none lost or doubled", async (db) => {
  const env = testEnv();
  const config = loadCryptoConfig(env);
  const vault = PiiVault.create(db, config);
  const tenantId = await createTenant(db);
  const rows = await populate(db, vault, tenantId, 400);
  const logs: string[] = [];

  const first = await runCommand(env, ["data-key", "--tenant", tenantId, "--batch", "20", "--pause-ms", "150", "--grace-ms", "0"]);
  const out1 = readAll(first.stdout);
  const err1 = readAll(first.stderr);
  let mid: { rows_done: string; rows_total: string; status: string } | undefined;
  for (let i = 0; i < 600; i++) {
    const { rows: jobs } = await sql<{ rows_done: string; rows_total: string; status: string }>`
      select rows_done, rows_total, status from private.key_rotation_jobs
      where tenant_id = ${tenantId}::uuid and kind = 'data_key_reencrypt'`.execute(db);
    if (jobs[0] && Number(jobs[0].rows_done) >= 60) {
      mid = jobs[0];
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  first.kill("SIGKILL");
  const status1 = await first.status;
  logs.push(await out1, await err1);
  assert.ok(mid, "the first run made progress before it was killed");
  assert.equal(status1.signal, "SIGKILL");
  const { rows: [afterKill] } = await sql<{ rows_done: string; rows_total: string; status: string }>`
    select rows_done, rows_total, status from private.key_rotation_jobs
    where tenant_id = ${tenantId}::uuid and kind = 'data_key_reencrypt'`.execute(db);
  assert.equal(afterKill.status, "running");
  assert.ok(Number(afterKill.rows_done) < Number(afterKill.rows_total), "killed mid-way");
  assert.equal(Number(afterKill.rows_total), 405);
  // half-rotated: rows of both versions decrypt
  await assertAllDecrypt(db, PiiVault.create(db, config), tenantId, rows);

  const second = await runCommand(env, ["data-key", "--tenant", tenantId, "--batch", "50", "--grace-ms", "0"]);
  const [out2, err2, status2] = await Promise.all([readAll(second.stdout), readAll(second.stderr), second.status]);
  logs.push(out2, err2);
  assert.equal(status2.code, 0, err2);
  const summary = JSON.parse(out2.trim().split("\n").at(-1)!);
  assert.equal(summary.resumed, true);
  assert.equal(summary.status, "completed");
  assert.equal(summary.targetVersion, 2);
  assert.equal(summary.done, 405, "each row re-encrypted exactly once across both runs");
  assert.deepEqual(summary.destroyedVersions, [1]);
  assert.equal(await countRowsUsingVersion(db, tenantId, 1), 0);
  await assertAllDecrypt(db, PiiVault.create(db, config), tenantId, rows);

  const audited = await sql<{ action: string }>`select action from audit.events where tenant_id = ${tenantId}::uuid
    and action like 'pii.data_key_rotation%' order by occurred_at`.execute(db);
  assert.deepEqual(audited.rows.map((r) => r.action), ["pii.data_key_rotation_started", "pii.data_key_rotation_finished"]);

  // no plaintext or key material in anything the command printed
  const printed = logs.join("\n");
  assert.match(printed, /\d+%/, "a progress bar was printed");
  const secrets = [...env.KAZI_KEKS.split(",").map((k) => k.split(":")[1]), env.KAZI_BLIND_INDEX_KEY];
  for (const s of secrets) assert.ok(!printed.includes(s), "no key in the output");
  for (const r of rows.slice(0, 50)) {
    for (const f of PII_FIELDS) assert.ok(!printed.includes(r.plain[f]), "no plaintext in the output");
  }
});

dbTest("KEK rotation command rewraps every data key; afterwards the old KEK can be removed", async (db) => {
  const env = testEnv();
  const vault = PiiVault.create(db, loadCryptoConfig(env));
  const tenants = [await createTenant(db), await createTenant(db)];
  const made = [];
  for (const t of tenants) made.push({ t, rows: await populate(db, vault, t, 3) });
  const env2 = { ...env, KAZI_KEK_ACTIVE: "2" };
  // scoped to this test's tenants: the shared test database holds keys wrapped by other runs' KEKs
  const runs = [];
  for (const t of tenants) runs.push(await runCommand(env2, ["kek", "--tenant", t, "--batch", "1"]));
  const run = runs[1];
  const firstStatus = await Promise.all([readAll(runs[0].stdout), readAll(runs[0].stderr), runs[0].status]);
  assert.equal(firstStatus[2].code, 0, firstStatus[1]);
  const [out, err, status] = await Promise.all([readAll(run.stdout), readAll(run.stderr), run.status]);
  assert.equal(status.code, 0, err);
  const summary = JSON.parse(out.trim().split("\n").at(-1)!);
  assert.equal(summary.status, "completed");
  assert.equal(summary.done, 1);
  const { rows: left } = await sql<{ n: number }>`select count(*)::int as n from private.tenant_data_keys
    where kek_version <> 2 and status <> 'destroyed' and tenant_id = any(${tenants}::uuid[])`.execute(db);
  assert.equal(left[0].n, 0);
  const onlyNew = PiiVault.create(db, loadCryptoConfig({ ...env, KAZI_KEKS: env.KAZI_KEKS.split(",")[1], KAZI_KEK_ACTIVE: "2" }));
  for (const m of made) await assertAllDecrypt(db, onlyNew, m.t, m.rows);
  for (const s of [...env.KAZI_KEKS.split(",").map((k) => k.split(":")[1]), env.KAZI_BLIND_INDEX_KEY]) {
    assert.ok(!(out + err + firstStatus[0] + firstStatus[1]).includes(s));
  }
});
