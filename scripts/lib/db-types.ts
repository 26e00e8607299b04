// Kysely types generated from the migrated schema (kysely-codegen), so the
// functions' queries are checked against what the migrations really build.
import { resolve } from "node:path";
import { run, type RunResult } from "./run.ts";
import { bin, repoRoot } from "./paths.ts";

export const generatedTypesFile = resolve(repoRoot, "functions", "_shared", "database.generated.ts");

/** Everything our code queries: our schemas, the CLI's history, auth.users. */
const include = "{public.*,private.*,audit.*,supabase_migrations.*,auth.users}";

export function kyselyCodegen(url: string, mode: "write" | "verify"): Promise<RunResult> {
  return run(bin("kysely-codegen"), [
    "--dialect", "postgres",
    "--url", url,
    "--default-schema", "public",
    "--include-pattern", include,
    "--exclude-pattern", "audit.events_*",
    // Deno's pg returns bytea as Uint8Array-compatible Buffers; intervals as strings.
    "--type-mapping", JSON.stringify({ bytea: "Uint8Array", interval: "string" }),
    "--out-file", generatedTypesFile,
    ...(mode === "verify" ? ["--verify"] : []),
  ], { echo: false });
}
