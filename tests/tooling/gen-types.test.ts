// The committed generated types must follow the schema: the stale check that
// `npm test` runs fails as soon as a migration adds a column, for the Kysely
// file and for the supabase-js `Database` type alike; generation is
// reproducible (two runs, same bytes).
import assert from "node:assert/strict";
import { needsServer, scratchDatabase, sql } from "./_support.ts";
import { migrate } from "../../scripts/lib/migrate.ts";
import { kyselyCodegen, supabaseTypegen, verifyGeneratedTypes, verifySupabaseTypes } from "../../scripts/lib/db-types.ts";

Deno.test({ name: "the generated types are current, and stale once a column is added", ...needsServer }, async () => {
  const db = await scratchDatabase("types");
  try {
    await migrate(db.url, { quiet: true });
    const current = await kyselyCodegen(db.url, "verify");
    assert.equal(current.code, 0, current.output);
    const supabase = await verifySupabaseTypes(db.url);
    assert.equal(supabase.code, 0, supabase.output);
    assert.equal((await verifyGeneratedTypes(db.url)).code, 0);

    await sql(db.url, "alter table public.tenants add column stale_check_probe text");
    const stale = await kyselyCodegen(db.url, "verify");
    assert.notEqual(stale.code, 0, "adding a column must make the committed Kysely types stale");
    const staleSupabase = await verifySupabaseTypes(db.url);
    assert.notEqual(staleSupabase.code, 0, "adding a column must make the committed supabase-js types stale");
    assert.match(staleSupabase.output, /database\.types\.ts is stale: line \d+/);
    assert.notEqual((await verifyGeneratedTypes(db.url)).code, 0);
  } finally {
    await db.drop();
  }
});

Deno.test({ name: "the supabase-js types are reproducible and have the shape supabase-js expects", ...needsServer }, async () => {
  const db = await scratchDatabase("types_repro");
  try {
    await migrate(db.url, { quiet: true });
    const first = await supabaseTypegen(db.url);
    const second = await supabaseTypegen(db.url);
    assert.equal(first.code, 0, first.output);
    assert.equal(first.types, second.types, "two generations from one schema must be identical");
    // The Database type supabase-js takes: schema → Tables → table → Row/Insert/Update/Relationships.
    assert.match(first.types, /export type Database = \{\n {2}public: \{\n {4}Tables: \{/);
    assert.match(first.types, /\n {6}employees: \{\n {8}Row: \{[^}]*kra_pin_ciphertext: string \| null/);
    assert.match(first.types, /export type Tables</);
    // only the API-exposed schema: private and audit never reach a frontend's types
    assert.doesNotMatch(first.types, /tenant_data_keys|chain_heads/);
  } finally {
    await db.drop();
  }
});
