// npm run gen:types: migrate a throw-away database and regenerate the Kysely
// types from it. `npm test` fails when the committed file is stale.
import { runMain, say, ToolError } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase } from "./lib/test-database.ts";
import { readEnvFile } from "./lib/secrets.ts";
import { generatedTypesFile, kyselyCodegen } from "./lib/db-types.ts";

await runMain(async () => {
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const db = await createMigratedDatabase(server.url, "types");
  try {
    const ran = await kyselyCodegen(db.url, "write");
    if (ran.code !== 0) throw new ToolError(`kysely-codegen failed:\n${ran.output}`);
    say(`wrote ${generatedTypesFile}`);
  } finally {
    await db.drop();
    await server.stop();
  }
});
