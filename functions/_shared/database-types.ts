// Kysely's view of the schema, generated from the migrated database by
// `npm run gen:types` (kysely-codegen); `npm test` fails when it is stale.
export type { DB as Database } from "./database.generated.ts";
