// Runs after every other suite (scripts/run-tests.ts orders it last), on the
// database the whole run wrote to: every PII value still stored, decrypted
// with this run's keys, and every secret of the run must be absent from the
// audit trail and from everything the functions printed during the run.
import assert from "node:assert/strict";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { discoverPiiTables } from "../../functions/_shared/crypto/pii-tables.ts";
import type { PiiField } from "../../functions/_shared/pii/fields.ts";
import { base64, containsJwt, findLeaks, hex, type Needle } from "./find-leaks.ts";

const dbUrl = Deno.env.get("KAZI_TEST_DB_URL");
const logFile = Deno.env.get("KAZI_FUNCTIONS_LOG");
const ready = { ignore: !dbUrl || !logFile };

async function storedPii(db: Kysely<unknown>): Promise<{ needles: Needle[]; decrypted: number }> {
  const vault = PiiVault.create(db, loadCryptoConfig(Deno.env.toObject()));
  const needles: Needle[] = [];
  let decrypted = 0;
  for (const { table, columns } of await discoverPiiTables(db)) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(`public.${table}`)}`.execute(db);
    for (const row of rows) {
      for (const column of columns) {
        const ciphertext = row[column] as Uint8Array | null;
        if (!ciphertext) continue;
        const field = column.replace(/_ciphertext$/, "") as PiiField;
        const where = `${table}.${field} of row ${row.id}`;
        needles.push({ label: `ciphertext (hex) of ${where}`, value: hex(ciphertext) });
        needles.push({ label: `ciphertext (base64) of ${where}`, value: base64(ciphertext) });
        const plain = await vault.decryptField({
          tenantId: row.tenant_id as string, table, field, rowId: row.id as string, ciphertext,
        }).catch(() => null); // shredded or deliberately tampered by a test
        if (plain === null) continue;
        decrypted++;
        needles.push({ label: `plaintext ${where}`, value: plain });
        if (field === "phone") needles.push({ label: `plaintext ${where} (national form)`, value: `0${plain.slice(4)}` });
      }
    }
  }
  return { needles, decrypted };
}

function runSecrets(): Needle[] {
  const env = Deno.env.toObject();
  const keks = (env.KAZI_KEKS ?? "").split(",").map((kv, i) => ({ label: `KEK #${i + 1}`, value: kv.split(":")[1] ?? "" }));
  const privateJwk = JSON.parse(env.KAZI_DEV_JWT_PRIVATE_JWK ?? "{}");
  return [
    ...keks,
    { label: "KAZI_JWT_SECRET", value: env.KAZI_JWT_SECRET ?? "" },
    { label: "KAZI_BLIND_INDEX_KEY", value: env.KAZI_BLIND_INDEX_KEY ?? "" },
    { label: "private JWK", value: privateJwk.d ?? "" },
  ];
}

Deno.test({ name: "no stored PII, ciphertext, key or token appears in any audit row or function log", ...ready }, async () => {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const { needles, decrypted } = await storedPii(db);
    assert.ok(decrypted > 0, "the integration suites stored PII, so this scan has something to look for");
    const { rows } = await sql<{ line: string }>`select row_to_json(e)::text as line from audit.events as e`.execute(db);
    assert.ok(rows.length > 0, "the run wrote audit rows");
    const audit = rows.map((r) => r.line).join("\n");
    const log = await Deno.readTextFile(logFile!);
    const all = [...needles, ...runSecrets()];
    assert.deepEqual(findLeaks(audit, all), [], "audit rows");
    assert.deepEqual(findLeaks(log, all), [], "function logs");
    assert.equal(containsJwt(audit), false, "no token in audit rows");
    assert.equal(containsJwt(log), false, "no token in function logs");
  } finally {
    await db.destroy();
  }
});
