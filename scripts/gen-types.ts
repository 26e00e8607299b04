// npm run gen:types: migrate a throw-away database and regenerate, from it,
// the Kysely types (functions/_shared/database.generated.ts) and the
// supabase-js `Database` type (packages/kazi-client/src/database.types.ts).
// `npm test` fails when either committed file is stale.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { runMain, say, ToolError } from "./lib/cli.ts";
import { provision } from "./lib/provision.ts";
import { createMigratedDatabase } from "./lib/test-database.ts";
import { readEnvFile } from "./lib/secrets.ts";
import { generatedTypesFile, kyselyCodegen, supabaseTypesFile, writeSupabaseTypes } from "./lib/db-types.ts";

await runMain(async () => {
  const server = await provision({ embeddedPassword: readEnvFile()?.KAZI_EMBEDDED_DB_PASSWORD });
  const db = await createMigratedDatabase(server.url, "types");
  try {
    const ran = await kyselyCodegen(db.url, "write");
    if (ran.code !== 0) throw new ToolError(`kysely-codegen failed:\n${ran.output}`);
    say(`wrote ${generatedTypesFile}`);
    mkdirSync(dirname(supabaseTypesFile), { recursive: true });
    const supa = await writeSupabaseTypes(db.url);
    if (supa.code !== 0) throw new ToolError(supa.output.trimEnd());
    say(`wrote ${supabaseTypesFile}`);
  } finally {
    await db.drop();
    await server.stop();
  }
});
