// npm run docs:rbac: migrate a throw-away database, print the RBAC roles ×
// permissions table as markdown from it, and write docs/rbac.md.
// `--check` writes nothing and fails when docs/rbac.md is stale.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { runMain, say, ToolError } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase } from "./lib/test-database.ts";
import { readEnvFile } from "./lib/secrets.ts";
import { rbacDocFile, rbacMarkdown } from "./lib/rbac-markdown.ts";

const check = process.argv.includes("--check");

await runMain(async () => {
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const db = await createMigratedDatabase(server.url, "rbac");
  try {
    const markdown = await rbacMarkdown(db.url);
    if (check) {
      const committed = existsSync(rbacDocFile) ? readFileSync(rbacDocFile, "utf8") : "";
      if (committed !== markdown) throw new ToolError(`${rbacDocFile} is stale: run \`npm run docs:rbac\``);
      say(`${rbacDocFile} is current`);
      return;
    }
    process.stdout.write(markdown);
    writeFileSync(rbacDocFile, markdown);
    say(`wrote ${rbacDocFile}`);
  } finally {
    await db.drop();
    await server.stop();
  }
});
