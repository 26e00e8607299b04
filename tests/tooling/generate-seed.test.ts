// The seed generator writes through the real PII vault: a 1,000-employee run
// gives exactly the rows asked for, every protected column holds ciphertext
// (refused otherwise by Postgres itself) that decrypts back to the generated
// value, blind indexes match, and the same seed is refused a second time.
// The same seeding is a function other modules call (the benches do):
// importing the script runs nothing, and the function reports its progress.
import assert from "node:assert/strict";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { needsServer, repoRoot, scratchDatabase, sql } from "./_support.ts";
import { migrate } from "../../scripts/lib/migrate.ts";
import { employeeSeeds, employeesPerTenant, tenantSeed } from "../../scripts/lib/kenyan-data.ts";
import { generateSeed, SeedError, seedCryptoConfig } from "../../scripts/generate-seed.ts";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { normaliseField, PII_FIELDS } from "../../functions/_shared/pii/fields.ts";

const hasKeys = Boolean(Deno.env.get("KAZI_KEKS"));

async function generate(url: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/generate-seed.ts", ...args],
    cwd: repoRoot,
    env: { DATABASE_URL: url, SUPABASE_DB_URL: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({ name: "generate-seed: 1,000 employees over 3 tenants through the real encryption path", ignore: needsServer.ignore || !hasKeys }, async () => {
  const db = await scratchDatabase("seed");
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // deno-lint-ignore no-explicit-any
  const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db.url, { quiet: true });
    const ran = await generate(db.url, ["--tenants", "3", "--employees", "1000", "--seed", "tooling-7", "--batch", "300"]);
    assert.equal(ran.code, 0, ran.stderr);
    const summary = JSON.parse(ran.stdout.trim());
    assert.equal(summary.tenants, 3);
    assert.equal(summary.employees, 1000);
    assert.match(ran.stderr, /employees \[#{20}\] 100% 1000\/1000/, "a progress bar on stderr");

    const tenants = [0, 1, 2].map((t) => tenantSeed("tooling-7", t));
    const counts = await sql<{ id: string; n: number }>(db.url, `select t.id, count(e.id)::int as n from public.tenants t
      left join public.employees e on e.tenant_id = t.id group by t.id`);
    const sizes = employeesPerTenant(1000, 3);
    assert.deepEqual(
      new Map(counts.map((c) => [c.id, c.n])),
      new Map(tenants.map((t, i) => [t.id, sizes[i]])),
      "the seed's tenants, each with its share of employees",
    );

    const vault = PiiVault.create(kysely, loadCryptoConfig(Deno.env.toObject()));
    const rows = await sql<Record<string, Uint8Array | string>>(db.url, `select * from public.employees`);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    let checked = 0;
    for (const [i, tenant] of tenants.entries()) {
      for (const expected of employeeSeeds("tooling-7", tenant, sizes[i])) {
        const row = byId.get(expected.id);
        assert.ok(row, `employee ${expected.employeeNumber} of tenant ${i} must exist with its deterministic id`);
        assert.equal(row.first_name, expected.firstName);
        for (const field of PII_FIELDS) {
          const ciphertext: Uint8Array = new Uint8Array(row[`${field}_ciphertext`] as Uint8Array);
          const plain = normaliseField(field, expected.pii[field]);
          assert.equal(ciphertext[0], 1, "format version byte");
          assert.ok(!new TextDecoder("latin1").decode(ciphertext).includes(plain), "no plaintext inside the ciphertext");
          const opened = await vault.decryptField({ tenantId: tenant.id, table: "employees", field, rowId: expected.id, ciphertext });
          assert.equal(opened, plain);
          const index = await vault.blindIndex({ tenantId: tenant.id, field, value: expected.pii[field] });
          assert.deepEqual(new Uint8Array(row[`${field}_blind_index`] as Uint8Array), index);
        }
        checked++;
      }
    }
    assert.equal(checked, 1000);

    const again = await generate(db.url, ["--tenants", "3", "--employees", "10", "--seed", "tooling-7"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exist/);
    assert.equal((await sql<{ n: number }>(db.url, "select count(*)::int as n from public.employees"))[0].n, 1000);
  } finally {
    await kysely.destroy();
    await db.drop();
  }
});

Deno.test({ name: "generate-seed: bad arguments are refused before anything is written", ignore: needsServer.ignore || !hasKeys }, async () => {
  for (const args of [["--tenants", "0", "--employees", "5", "--seed", "x"], ["--tenants", "2", "--employees", "-1", "--seed", "x"], ["--tenants", "2"]]) {
    const ran = await generate("postgresql://nobody@127.0.0.1:1/none", args);
    assert.equal(ran.code, 2, args.join(" "));
    assert.match(ran.stderr, /usage: generate-seed\.ts/);
  }
});

Deno.test({ name: "generate-seed as a function: progress per batch, summary, options checked before any write", ignore: needsServer.ignore || !hasKeys }, async () => {
  const db = await scratchDatabase("seedfn");
  const pool = new pg.Pool({ connectionString: db.url, max: 3 });
  // deno-lint-ignore no-explicit-any
  const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db.url, { quiet: true });
    const vault = PiiVault.create(kysely, seedCryptoConfig(Deno.env.toObject()));
    const count = async () => (await sql<{ t: number; e: number }>(db.url,
      "select (select count(*)::int from public.tenants) as t, (select count(*)::int from public.employees) as e"))[0];
    const before = await count();

    for (const bad of [{ tenants: 0, employees: 5, seed: "x" }, { tenants: 1, employees: -1, seed: "x" }, { tenants: 1, employees: 5, seed: "" }, { tenants: 1, employees: 5, seed: "x", batch: 0 }]) {
      await assert.rejects(generateSeed(kysely, vault, bad), (e) => e instanceof SeedError && /invalid seed options/.test(e.message), JSON.stringify(bad));
    }
    assert.deepEqual(await count(), before, "nothing written for refused options");

    const progress: [number, number][] = [];
    const summary = await generateSeed(kysely, vault, { tenants: 2, employees: 250, seed: "tooling-fn", batch: 100 }, (done, total) => progress.push([done, total]));
    assert.deepEqual(progress, [[0, 250], [100, 250], [200, 250], [250, 250]], "0 first, then once per committed batch");
    assert.equal(summary.employees, 250);
    assert.equal(summary.tenants, 2);
    assert.deepEqual(summary.tenant_ids, [0, 1].map((t) => tenantSeed("tooling-fn", t).id));
    assert.ok(summary.employees_per_second > 0 && summary.seconds >= 0);
    assert.deepEqual(await count(), { t: before.t + 2, e: before.e + 250 });

    const one = (await sql<Record<string, Uint8Array>>(db.url, `select id, phone_ciphertext from public.employees where tenant_id = $1 limit 1`, [summary.tenant_ids[1]]))[0];
    const expected = [...employeeSeeds("tooling-fn", tenantSeed("tooling-fn", 1), employeesPerTenant(250, 2)[1])]
      .find((e) => e.id === (one.id as unknown as string))!;
    const opened = await vault.decryptField({ tenantId: summary.tenant_ids[1], table: "employees", field: "phone", rowId: expected.id, ciphertext: new Uint8Array(one.phone_ciphertext) });
    assert.equal(opened, normaliseField("phone", expected.pii.phone));

    await assert.rejects(generateSeed(kysely, vault, { tenants: 2, employees: 5, seed: "tooling-fn" }), (e) => e instanceof SeedError && /already exist/.test(e.message));
    assert.equal((await count()).e, before.e + 250);
  } finally {
    await kysely.destroy();
    await db.drop();
  }
});
