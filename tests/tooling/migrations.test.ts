// The migration commands as a user runs them: up → down → up restores the
// schema exactly, --to stops early, and failures are clear and leave nothing
// half-applied.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { needsServer, npmScript, repoRoot, scratchDatabase, schemaDump, sql } from "./_support.ts";
import { bootstrapIfNeeded, migrate } from "../../scripts/lib/migrate.ts";
import { down } from "../../scripts/lib/down.ts";

const migrationFiles = readdirSync(`${repoRoot}supabase/migrations`).filter((f) => f.endsWith(".sql")).sort();
const versions = migrationFiles.map((f) => f.slice(0, 14));

Deno.test({ name: "db:migrate → db:down → db:migrate gives the same schema", ...needsServer }, async () => {
  const db = await scratchDatabase("roundtrip");
  try {
    const env = { DATABASE_URL: db.url };
    const up = await npmScript("db-migrate", [], env);
    assert.equal(up.code, 0, up.stderr);
    const first = await schemaDump(db.url);
    const applied = await sql<{ version: string }>(db.url, "select version from supabase_migrations.schema_migrations order by 1");
    assert.deepEqual(applied.map((r) => r.version), versions);

    const down = await npmScript("db-down", [], env);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await sql(db.url, "select version from supabase_migrations.schema_migrations"), []);
    const publicTables = await sql(db.url, "select tablename from pg_tables where schemaname in ('public', 'private', 'audit')");
    assert.deepEqual(publicTables, [], "down leaves none of our tables behind");

    const again = await npmScript("db-migrate", [], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await schemaDump(db.url), first);
  } finally {
    await db.drop();
  }
});

// The round trip above ends with every table dropped, so a down script that
// restores its migration's predecessor wrongly (an old policy or function
// body written back differently) would pass it. Here each one is held to the
// schema as it stood before its own migration.
Deno.test({ name: "each down script gives back the schema as it was before its migration", ...needsServer }, async () => {
  const forward = await scratchDatabase("forward");
  const back = await scratchDatabase("back");
  // the CLI's history table exists only where the CLI migrated
  const dump = (url: string) => schemaDump(url, ["supabase_migrations"]);
  try {
    // schemaBefore[k]: the schema with the migrations before the k-th applied, one transaction each
    const schemaBefore: string[] = [];
    const client = new pg.Client({ connectionString: forward.url });
    await client.connect();
    try {
      await bootstrapIfNeeded(client);
      for (const file of migrationFiles) {
        schemaBefore.push(await dump(forward.url));
        await client.query("begin");
        await client.query(readFileSync(`${repoRoot}supabase/migrations/${file}`, "utf8"));
        await client.query("commit");
      }
    } finally {
      await client.end();
    }
    await migrate(back.url, { quiet: true });
    for (let k = versions.length - 1; k >= 0; k--) {
      const reverted = await down(back.url, { to: versions[k - 1], quiet: true });
      assert.deepEqual(reverted, [versions[k]]);
      assert.equal(await dump(back.url), schemaBefore[k], `sql/down/ for ${migrationFiles[k]}`);
    }
  } finally {
    await forward.drop();
    await back.drop();
  }
});

Deno.test({ name: "db:down --to VERSION reverts only what is newer", ...needsServer }, async () => {
  const db = await scratchDatabase("downto");
  try {
    const env = { DATABASE_URL: db.url };
    assert.equal((await npmScript("db-migrate", [], env)).code, 0);
    const keep = versions[0];
    const down = await npmScript("db-down", ["--to", keep], env);
    assert.equal(down.code, 0, down.stderr);
    const left = await sql<{ version: string }>(db.url, "select version from supabase_migrations.schema_migrations");
    assert.deepEqual(left.map((r) => r.version), [keep]);
    const bad = await npmScript("db-down", ["--to", "yesterday"], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--to takes a 14-digit migration version/);
  } finally {
    await db.drop();
  }
});

Deno.test({ name: "a failing migration names its file and statement and is not recorded", ...needsServer }, async () => {
  const db = await scratchDatabase("broken");
  const workdir = mkdtempSync(join(tmpdir(), "kazi-broken-"));
  try {
    cpSync(`${repoRoot}supabase/migrations`, join(workdir, "supabase", "migrations"), { recursive: true });
    writeFileSync(
      join(workdir, "supabase", "migrations", "29991231000000_broken.sql"),
      "create table public.half_done (id int);\nselect no_such_function();\n",
    );
    await assert.rejects(() => migrate(db.url, { workdir, quiet: true }), (err: Error) => {
      assert.match(err.message, /29991231000000_broken\.sql/);
      assert.match(err.message, /no_such_function/);
      return true;
    });
    const applied = await sql<{ version: string }>(db.url, "select version from supabase_migrations.schema_migrations order by 1");
    assert.deepEqual(applied.map((r) => r.version), versions, "earlier migrations stay, the failed one is not recorded");
    assert.deepEqual(await sql(db.url, "select to_regclass('public.half_done') as t"), [{ t: null }]);
  } finally {
    await db.drop();
  }
});

Deno.test("an unreachable DATABASE_URL gives one clear line with host and port, never the password", async () => {
  // secretlint-disable-next-line -- a made-up password the test looks for in the output
  const ran = await npmScript("db-migrate", [], { DATABASE_URL: "postgresql://kazi:s3cret-pw@127.0.0.1:1/kazi" });
  assert.notEqual(ran.code, 0);
  assert.match(ran.stderr, /^kazi: cannot connect to Postgres at 127\.0\.0\.1:1: connection refused\n$/);
  assert.doesNotMatch(ran.stdout + ran.stderr, /s3cret-pw/);
});
