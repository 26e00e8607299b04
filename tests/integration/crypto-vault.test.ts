/**
 * The PII vault against the real database (KAZI_TEST_DB_URL): round trips
 * through real rows, tampering in the table, the CHECK constraints, blind-index
 * uniqueness and lookup plans, the key table, automatic rotation, caching and
 * crypto-shredding.
 */
import assert from "node:assert/strict";
import { sql } from "kysely";
import { PII_FIELDS, type PiiField } from "../../functions/_shared/pii/fields.ts";
import { isCryptoError } from "../../functions/_shared/crypto/errors.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { createTenant, insertFixture, openTestDb, SKIP_DB_MESSAGE, TEST_DB_URL } from "../../functions/_shared/crypto/test-db.ts";
import { testConfig, testEnv } from "../../functions/_shared/crypto/test-support.ts";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";

const ignore = !TEST_DB_URL;
if (ignore) console.warn(SKIP_DB_MESSAGE);
const isIntegrity = (e: unknown) => isCryptoError(e) && e.code === "integrity_error";
const SAMPLE: Record<PiiField, string> = {
  kra_pin: "a123456789b",
  national_id: "12345678",
  phone: "0712345678",
  bank_account: "0123456789012",
};
const NORMAL: Record<PiiField, string> = {
  kra_pin: "A123456789B",
  national_id: "12345678",
  phone: "+254712345678",
  bank_account: "0123456789012",
};

function dbTest(name: string, fn: (h: ReturnType<typeof openTestDb>) => Promise<void>) {
  Deno.test({
    name,
    ignore,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const h = openTestDb();
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    },
  });
}

/** Encrypts all four fields for a new employee row and stores them. */
async function insertEmployee(vault: PiiVault, db: ReturnType<typeof openTestDb>["db"], tenantId: string, values = SAMPLE) {
  const rowId = crypto.randomUUID();
  const cols: Record<string, unknown> = { id: rowId, tenant_id: tenantId };
  for (const field of PII_FIELDS) {
    const e = await vault.encryptField({ tenantId, table: "employees", field, rowId, value: values[field] });
    cols[`${field}_ciphertext`] = e.ciphertext;
    cols[`${field}_blind_index`] = e.blindIndex;
  }
  await insertFixture(db, "employees", cols);
  return rowId;
}

async function readCipher(db: ReturnType<typeof openTestDb>["db"], table: string, field: PiiField, id: string) {
  const { rows } = await sql<{ v: Uint8Array }>`select ${sql.ref(`${field}_ciphertext`)} as v
    from ${sql.table(`public.${table}`)} where id = ${id}::uuid`.execute(db);
  return new Uint8Array(rows[0].v);
}

dbTest("every field round trips through a real employees row and a real onboarding_cases row", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const tenantId = await createTenant(db);
  const emp = await insertEmployee(vault, db, tenantId);
  for (const field of PII_FIELDS) {
    const ciphertext = await readCipher(db, "employees", field, emp);
    assert.equal(await vault.decryptField({ tenantId, table: "employees", field, rowId: emp, ciphertext }), NORMAL[field]);
    assert.ok(!new TextDecoder().decode(ciphertext).includes(NORMAL[field]), "no plaintext in the stored bytes");
  }
  const caseId = crypto.randomUUID();
  const cols: Record<string, unknown> = { id: caseId, tenant_id: tenantId };
  for (const field of PII_FIELDS) {
    cols[`${field}_ciphertext`] = (await vault.encryptField({ tenantId, table: "onboarding_cases", field, rowId: caseId, value: SAMPLE[field] })).ciphertext;
  }
  await insertFixture(db, "onboarding_cases", cols);
  for (const field of PII_FIELDS) {
    const ciphertext = await readCipher(db, "onboarding_cases", field, caseId);
    assert.equal(await vault.decryptField({ tenantId, table: "onboarding_cases", field, rowId: caseId, ciphertext }), NORMAL[field]);
  }
});

dbTest("ciphertext copied in the database to another row, column or tenant fails with integrity_error", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const t1 = await createTenant(db);
  const t2 = await createTenant(db);
  const a = await insertEmployee(vault, db, t1);
  const b = await insertEmployee(vault, db, t1, { ...SAMPLE, kra_pin: "A000000001Z", national_id: "7654321" });
  const c = await insertEmployee(vault, db, t2);
  // swap a's KRA PIN ciphertext into b, and a's phone ciphertext into a's national_id column
  await sql`update public.employees set kra_pin_ciphertext = (select kra_pin_ciphertext from public.employees where id = ${a}::uuid)
            where id = ${b}::uuid`.execute(db);
  await assert.rejects(vault.decryptField({ tenantId: t1, table: "employees", field: "kra_pin", rowId: b, ciphertext: await readCipher(db, "employees", "kra_pin", b) }), isIntegrity);
  const phone = await readCipher(db, "employees", "phone", a);
  await assert.rejects(vault.decryptField({ tenantId: t1, table: "employees", field: "national_id", rowId: a, ciphertext: phone }), isIntegrity);
  // another tenant's ciphertext (another data key and another AAD)
  const foreign = await readCipher(db, "employees", "kra_pin", c);
  await assert.rejects(vault.decryptField({ tenantId: t1, table: "employees", field: "kra_pin", rowId: c, ciphertext: foreign }), isIntegrity);
  // a version that does not exist, a truncated value
  const mine = await readCipher(db, "employees", "kra_pin", a);
  const relabelled = mine.slice();
  relabelled[4] = 99;
  await assert.rejects(vault.decryptField({ tenantId: t1, table: "employees", field: "kra_pin", rowId: a, ciphertext: relabelled }), isIntegrity);
  await assert.rejects(vault.decryptField({ tenantId: t1, table: "employees", field: "kra_pin", rowId: a, ciphertext: mine.subarray(0, mine.length - 1) }), isIntegrity);
});

dbTest("Postgres refuses plaintext (and malformed bytes) in every ciphertext and blind-index column", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const tenantId = await createTenant(db);
  const emp = await insertEmployee(vault, db, tenantId);
  const caseId = await insertFixture(db, "onboarding_cases", { tenant_id: tenantId });
  const plaintexts = [new TextEncoder().encode("A123456789B"), new TextEncoder().encode("+254712345678 plaintext phone!!!!"), new Uint8Array(40)];
  const targets: Array<[string, string, string]> = [
    ...PII_FIELDS.map((f) => ["employees", `${f}_ciphertext`, emp] as [string, string, string]),
    ...PII_FIELDS.map((f) => ["employees", `${f}_blind_index`, emp] as [string, string, string]),
    ...PII_FIELDS.map((f) => ["onboarding_cases", `${f}_ciphertext`, caseId] as [string, string, string]),
  ];
  for (const [table, column, id] of targets) {
    for (const bad of plaintexts) {
      await assert.rejects(
        sql`update ${sql.table(`public.${table}`)} set ${sql.ref(column)} = ${bad} where id = ${id}::uuid`.execute(db),
        (e: { code?: string; constraint?: string }) => e.code === "23514" && String(e.constraint).startsWith(`${table}_`),
        `${table}.${column} must refuse ${bad.length} plaintext bytes`,
      );
    }
  }
});

dbTest("blind-index uniqueness: a duplicate KRA PIN or national ID is refused in one tenant, allowed in another", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const t1 = await createTenant(db);
  const t2 = await createTenant(db);
  await insertEmployee(vault, db, t1);
  // same KRA PIN typed differently (normalised before indexing), other national ID
  await assert.rejects(
    insertEmployee(vault, db, t1, { ...SAMPLE, kra_pin: " A123456789B", national_id: "1111111" }),
    (e: { code?: string }) => e.code === "23505",
  );
  await assert.rejects(
    insertEmployee(vault, db, t1, { ...SAMPLE, kra_pin: "P000000000X", national_id: "1234-5678" }),
    (e: { code?: string }) => e.code === "23505",
  );
  await insertEmployee(vault, db, t2); // the same values in another tenant are fine
});

dbTest("find an employee by national ID or phone through the blind index; EXPLAIN shows an index scan", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const tenantId = await createTenant(db);
  const target = await insertEmployee(vault, db, tenantId, { ...SAMPLE, national_id: "23456789", phone: "0722000111" });
  // enough rows that the planner prefers the index on its own
  await sql`insert into public.employees (tenant_id, employee_number, first_name, last_name,
      national_id_ciphertext, national_id_blind_index, phone_ciphertext, phone_blind_index)
    select e.tenant_id, 'bulk-' || g, 'Bulk', 'Row', e.national_id_ciphertext, extensions.gen_random_bytes(32),
      e.phone_ciphertext, extensions.gen_random_bytes(32)
    from public.employees e, generate_series(1, 3000) g where e.id = ${target}::uuid`.execute(db).catch(async () => {
    for (let i = 0; i < 300; i++) {
      await insertFixture(db, "employees", { tenant_id: tenantId, national_id_ciphertext: await readCipher(db, "employees", "national_id", target), national_id_blind_index: crypto.getRandomValues(new Uint8Array(32)) });
    }
  });
  await sql`analyze public.employees`.execute(db);
  for (const [field, value] of [["national_id", "2345 6789"], ["phone", "+254 722 000 111"]] as Array<[PiiField, string]>) {
    const bi = await vault.blindIndex({ tenantId, field, value });
    const found = await sql<{ id: string }>`select id from public.employees where tenant_id = ${tenantId}::uuid
      and ${sql.ref(`${field}_blind_index`)} = ${bi}`.execute(db);
    assert.deepEqual(found.rows.map((r) => r.id), [target]);
    const plan = await sql<{ "QUERY PLAN": string }>`explain select id from public.employees where tenant_id = ${tenantId}::uuid
      and ${sql.ref(`${field}_blind_index`)} = ${bi}`.execute(db);
    const text = plan.rows.map((r) => r["QUERY PLAN"]).join("\n");
    assert.match(text, /Index (Only )?Scan|Bitmap Index Scan/, text);
    assert.doesNotMatch(text, /Seq Scan/, text);
  }
});

dbTest("the key table holds only wrapped keys and is closed to anon and authenticated", async ({ db }) => {
  const vault = PiiVault.create(db, testConfig());
  const tenantId = await createTenant(db);
  await vault.encryptField({ tenantId, table: "employees", field: "phone", rowId: crypto.randomUUID(), value: "0712345678" });
  const { rows } = await sql<{ version: number; kek_version: number; len: number; status: string; encryption_count: string }>`
    select version, kek_version, octet_length(wrapped_key) as len, status, encryption_count
    from private.tenant_data_keys where tenant_id = ${tenantId}::uuid`.execute(db);
  assert.deepEqual(rows.map((r) => [r.version, r.kek_version, r.len, r.status]), [[1, 1, 60, "active"]]);
  assert.ok(Number(rows[0].encryption_count) >= 1);
  for (const role of ["anon", "authenticated"]) {
    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await sql`select set_config('role', ${role}, true)`.execute(tx);
        await sql`select count(*) from private.tenant_data_keys`.execute(tx);
      }),
      (e: { code?: string }) => e.code === "42501",
      `${role} must not read the key table`,
    );
  }
  const rls = await sql<{ relrowsecurity: boolean; policies: number }>`
    select c.relrowsecurity, (select count(*)::int from pg_policies p where p.schemaname = 'private' and p.tablename = 'tenant_data_keys') as policies
    from pg_class c where c.oid = 'private.tenant_data_keys'::regclass`.execute(db);
  assert.deepEqual(rls.rows[0], { relrowsecurity: true, policies: 0 });
});

dbTest("two vaults (two processes) creating a tenant's first key race to exactly one version 1", async ({ db }) => {
  const config = testConfig();
  const a = PiiVault.create(db, config);
  const b = PiiVault.create(db, config);
  const tenantId = await createTenant(db);
  const rowId = crypto.randomUUID();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).encryptField({ tenantId, table: "employees", field: "national_id", rowId, value: "12345678" })),
  );
  assert.ok(results.every((r) => r.keyVersion === 1));
  for (const r of results) {
    assert.equal(await a.decryptField({ tenantId, table: "employees", field: "national_id", rowId, ciphertext: r.ciphertext }), "12345678");
  }
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from private.tenant_data_keys where tenant_id = ${tenantId}::uuid`.execute(db);
  assert.equal(rows[0].n, 1);
});

dbTest("GCM usage limit: with a tiny limit the data key rotates automatically; old ciphertexts still decrypt", async ({ db }) => {
  const config = loadCryptoConfig(testEnv({ KAZI_DEK_MAX_ENCRYPTIONS: "3", KAZI_DEK_RESERVE_BATCH: "2" }));
  const vault = PiiVault.create(db, config);
  const tenantId = await createTenant(db);
  const made = [];
  for (let i = 0; i < 10; i++) {
    const rowId = crypto.randomUUID();
    const value = `${1000000 + i}`;
    made.push({ rowId, value, e: await vault.encryptField({ tenantId, table: "employees", field: "national_id", rowId, value }) });
  }
  const versions = [...new Set(made.map((m) => m.e.keyVersion))];
  assert.ok(versions.length >= 4, `10 encryptions at ≤3 per key need ≥4 keys, got ${versions}`);
  assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
  const { rows } = await sql<{ version: number; status: string; encryption_count: string }>`
    select version, status, encryption_count from private.tenant_data_keys where tenant_id = ${tenantId}::uuid order by version`.execute(db);
  assert.equal(rows.filter((r) => r.status === "active").length, 1);
  assert.equal(rows.at(-1)!.status, "active");
  for (const r of rows) assert.ok(Number(r.encryption_count) <= 3, `key ${r.version} used ${r.encryption_count} times`);
  const perVersion = new Map<number, number>();
  for (const m of made) perVersion.set(m.e.keyVersion, (perVersion.get(m.e.keyVersion) ?? 0) + 1);
  for (const [v, n] of perVersion) assert.ok(n <= Number(rows.find((r) => r.version === v)!.encryption_count), "never under-counted");
  // a fresh process (empty cache) decrypts every old version
  const fresh = PiiVault.create(db, config);
  for (const m of made) {
    assert.equal(await fresh.decryptField({ tenantId, table: "employees", field: "national_id", rowId: m.rowId, ciphertext: m.e.ciphertext }), m.value);
  }
});

dbTest("unwrapped keys are cached for a bounded time and count", async ({ db }) => {
  let now = 1_000_000;
  const config = loadCryptoConfig(testEnv({ KAZI_DEK_CACHE_TTL_MS: "1000", KAZI_DEK_CACHE_MAX: "2" }));
  const vault = PiiVault.create(db, config, () => now);
  const other = PiiVault.create(db, config);
  const tenants = [await createTenant(db), await createTenant(db), await createTenant(db)];
  const made = [];
  for (const tenantId of tenants) {
    const rowId = crypto.randomUUID();
    made.push({ tenantId, rowId, e: await vault.encryptField({ tenantId, table: "employees", field: "phone", rowId, value: "0712345678" }) });
  }
  assert.ok(vault.keys.cachedKeyCount <= 2, "at most KAZI_DEK_CACHE_MAX unwrapped keys");
  const m = made[2];
  const ref = { tenantId: m.tenantId, table: "employees", field: "phone" as const, rowId: m.rowId, ciphertext: m.e.ciphertext };
  await other.keys.destroyTenant(m.tenantId); // another process shreds the tenant
  assert.equal(await vault.decryptField(ref), "+254712345678", "still cached within the TTL");
  now += 1001;
  await assert.rejects(vault.decryptField(ref), (e) => isCryptoError(e) && e.code === "key_unavailable");
});

dbTest("list masks are cached per place and ciphertext: a repeat skips decryption, a moved or changed ciphertext and a destroyed key do not", async ({ db }) => {
  let now = 1_000_000;
  const config = testConfig({ KAZI_DEK_CACHE_TTL_MS: "1000" });
  const counting = () => {
    const v = PiiVault.create(db, config, () => now);
    const decrypt = v.decryptField.bind(v);
    const counter = { vault: v, decryptions: 0 };
    v.decryptField = (ref) => (counter.decryptions++, decrypt(ref));
    return counter;
  };
  const writer = counting();
  const tenantId = await createTenant(db);
  const a = await insertEmployee(writer.vault, db, tenantId);
  const b = await insertEmployee(writer.vault, db, tenantId, { kra_pin: "A987654321B", national_id: "23456789", phone: "0722345678", bank_account: "0123456789013" });
  const ref = { tenantId, table: "employees", field: "kra_pin" as const, rowId: a, ciphertext: await readCipher(db, "employees", "kra_pin", a) };
  assert.equal(await writer.vault.maskedField(ref), "A12******9B");
  assert.equal(writer.decryptions, 0, "a value this process just encrypted is masked without decrypting it");

  const reader = counting(); // another instance: nothing cached yet
  const vault = reader.vault;
  assert.equal(await vault.maskedField(ref), "A12******9B");
  assert.equal(await vault.maskedField(ref), "A12******9B");
  assert.equal(reader.decryptions, 1, "the second list of the same value is served from the cache");
  await assert.rejects(vault.maskedField({ ...ref, rowId: b }), isIntegrity, "moved to another row: decrypted, and refused");
  await assert.rejects(vault.maskedField({ ...ref, field: "national_id" }), isIntegrity, "moved to another column");
  const changed = ref.ciphertext.slice();
  changed[changed.length - 1] ^= 1;
  await assert.rejects(vault.maskedField({ ...ref, ciphertext: changed }), isIntegrity, "a changed ciphertext misses");
  now += 1001;
  reader.decryptions = 0;
  assert.equal(await vault.maskedField(ref), "A12******9B");
  assert.equal(reader.decryptions, 1, "expired with the data-key TTL");
  await vault.keys.destroyTenant(tenantId);
  await assert.rejects(vault.maskedField(ref), (e) => isCryptoError(e) && e.code === "key_unavailable", "a destroyed key ends its masks");
  const off = PiiVault.create(db, testConfig({ KAZI_MASK_CACHE_MAX: "0" }));
  const kept = await createTenant(db);
  const c = await insertEmployee(off, db, kept);
  let offDecryptions = 0;
  const offDecrypt = off.decryptField.bind(off);
  off.decryptField = (r) => (offDecryptions++, offDecrypt(r));
  const cRef = { tenantId: kept, table: "employees", field: "phone" as const, rowId: c, ciphertext: await readCipher(db, "employees", "phone", c) };
  await off.maskedField(cRef);
  await off.maskedField(cRef);
  assert.equal(offDecryptions, 2, "KAZI_MASK_CACHE_MAX=0 turns it off");
});

dbTest("crypto-shredding a tenant: keys destroyed, its PII unreadable, other tenants untouched", async ({ db }) => {
  const config = testConfig();
  const vault = PiiVault.create(db, config);
  const gone = await createTenant(db);
  const kept = await createTenant(db);
  const g = await insertEmployee(vault, db, gone);
  const k = await insertEmployee(vault, db, kept);
  const { shredTenant } = await import("../../functions/_shared/crypto/shredding.ts");
  const { createMemoryAuditSink } = await import("../../functions/_shared/audit.ts");
  const audit = createMemoryAuditSink();
  assert.deepEqual(await shredTenant(vault, gone, audit, { actorRole: "owner" }), { keysDestroyed: 1 });
  assert.deepEqual(audit.events.map((e) => [e.action, e.tenantId, e.details]), [["pii.tenant_crypto_shredded", gone, { keys_destroyed: 1 }]]);
  const { rows } = await sql<{ status: string; wrapped_key: Uint8Array | null }>`
    select status, wrapped_key from private.tenant_data_keys where tenant_id = ${gone}::uuid`.execute(db);
  assert.deepEqual(rows, [{ status: "destroyed", wrapped_key: null }]);
  const fresh = PiiVault.create(db, config);
  for (const v of [vault, fresh]) {
    await assert.rejects(
      v.decryptField({ tenantId: gone, table: "employees", field: "kra_pin", rowId: g, ciphertext: await readCipher(db, "employees", "kra_pin", g) }),
      (e) => isCryptoError(e) && e.code === "key_unavailable",
    );
  }
  assert.equal(await fresh.decryptField({ tenantId: kept, table: "employees", field: "kra_pin", rowId: k, ciphertext: await readCipher(db, "employees", "kra_pin", k) }), "A123456789B");
  // a shredded tenant gets no new data key, so no new PII can be written for it
  for (const v of [vault, fresh]) {
    await assert.rejects(
      v.encryptField({ tenantId: gone, table: "employees", field: "phone", rowId: g, value: "0712345678" }),
      (e) => isCryptoError(e) && e.code === "key_unavailable",
    );
  }
  await assert.rejects(fresh.keys.rotate(gone), (e) => isCryptoError(e) && e.code === "key_unavailable");
});

dbTest("KEK rotation rewraps data keys only: after it a vault holding just the new KEK decrypts old values", async ({ db }) => {
  const env = testEnv();
  const v1 = PiiVault.create(db, loadCryptoConfig(env));
  const tenantId = await createTenant(db);
  const rowId = crypto.randomUUID();
  const e = await v1.encryptField({ tenantId, table: "employees", field: "bank_account", rowId, value: "12345678" });
  const v2 = PiiVault.create(db, loadCryptoConfig({ ...env, KAZI_KEK_ACTIVE: "2" }));
  assert.equal(await v2.keys.rewrap(tenantId, 1), true);
  assert.equal(await v2.keys.rewrap(tenantId, 1), false, "idempotent");
  const only2 = PiiVault.create(db, loadCryptoConfig({ ...env, KAZI_KEKS: env.KAZI_KEKS.split(",")[1], KAZI_KEK_ACTIVE: "2" }));
  assert.equal(await only2.decryptField({ tenantId, table: "employees", field: "bank_account", rowId, ciphertext: e.ciphertext }), "12345678");
});

dbTest("erasing one employee's PII clears its ciphertexts and blind indexes, audited without values", async ({ db }) => {
  const { erasePii } = await import("../../functions/_shared/crypto/shredding.ts");
  const { createMemoryAuditSink } = await import("../../functions/_shared/audit.ts");
  const vault = PiiVault.create(db, testConfig());
  const tenantId = await createTenant(db);
  const gone = await insertEmployee(vault, db, tenantId);
  const kept = await insertEmployee(vault, db, tenantId, { ...SAMPLE, kra_pin: "P123456789Q", national_id: "7777777" });
  const audit = createMemoryAuditSink();
  assert.equal(await erasePii(db, "employees", tenantId, gone, audit), true);
  const { rows } = await sql<Record<string, unknown>>`select * from public.employees where id = ${gone}::uuid`.execute(db);
  for (const f of PII_FIELDS) {
    assert.equal(rows[0][`${f}_ciphertext`], null);
    assert.equal(rows[0][`${f}_blind_index`], null);
  }
  assert.equal(await vault.decryptField({ tenantId, table: "employees", field: "kra_pin", rowId: kept, ciphertext: await readCipher(db, "employees", "kra_pin", kept) }), "P123456789Q");
  assert.deepEqual(audit.events.map((e) => [e.action, e.resourceId]), [["pii.erased", gone]]);
  assert.ok(!JSON.stringify(audit.events).includes("A123456789B"));
  // the same KRA PIN can now be used by someone else in the tenant
  await insertEmployee(vault, db, tenantId, { ...SAMPLE, national_id: "5555555" });
});
