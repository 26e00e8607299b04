import type { Secrets } from "./secrets.ts";

/** What the edge functions get: their secrets and the database, nothing else of ours. */
export function functionEnv(secrets: Secrets, dbUrl: string): Record<string, string> {
  const { KAZI_EMBEDDED_DB_PASSWORD: _dbPassword, ...functionSecrets } = secrets;
  return { ...functionSecrets, SUPABASE_DB_URL: dbUrl };
}
