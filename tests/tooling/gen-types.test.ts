// The committed Kysely types must follow the schema: the stale check that
// `npm test` runs fails as soon as a migration adds a column.
import assert from "node:assert/strict";
import { needsServer, scratchDatabase, sql } from "./_support.ts";
import { migrate } from "../../scripts/lib/migrate.ts";
import { kyselyCodegen } from "../../scripts/lib/db-types.ts";

Deno.test({ name: "the generated types are current, and stale once a column is added", ...needsServer }, async () => {
  const db = await scratchDatabase("types");
  try {
    await migrate(db.url, { quiet: true });
    const current = await kyselyCodegen(db.url, "verify");
    assert.equal(current.code, 0, current.output);
    await sql(db.url, "alter table public.tenants add column stale_check_probe text");
    const stale = await kyselyCodegen(db.url, "verify");
    assert.notEqual(stale.code, 0, "adding a column must make the committed types stale");
  } finally {
    await db.drop();
  }
});
