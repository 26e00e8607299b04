// docs/rbac.md is generated from the database: it must equal what the
// migrated schema renders, and a new grant must make it stale.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { needsServer, scratchDatabase, sql } from "./_support.ts";
import { migrate } from "../../scripts/lib/migrate.ts";
import { rbacDocFile, rbacMarkdown } from "../../scripts/lib/rbac-markdown.ts";

Deno.test({ name: "docs/rbac.md is what the migrated schema renders, and stale once a grant changes", ...needsServer }, async () => {
  const db = await scratchDatabase("rbac");
  try {
    await migrate(db.url, { quiet: true });
    const rendered = await rbacMarkdown(db.url);
    assert.equal(readFileSync(rbacDocFile, "utf8"), rendered, "docs/rbac.md is stale: run `npm run docs:rbac`");
    // the table really is read from role_permissions: one row, checked cell by cell
    const row = rendered.split("\n").find((l) => l.startsWith("| `employees.read` |"));
    assert.equal(row?.split("|").slice(2, 6).map((c) => c.trim()).join(","), "✓,✓,✓,");

    await sql(db.url, "insert into public.role_permissions (role, permission) values ('employee', 'members.read')");
    assert.notEqual(await rbacMarkdown(db.url), rendered, "a new grant must change the table");
  } finally {
    await db.drop();
  }
});
