// Every test run gets a database of its own, created here and dropped at the
// end, so `npm test` never touches development data.
import { randomBytes } from "node:crypto";
import { dropDatabase, ensureDatabase, migrate } from "./migrate.ts";
import { withClient } from "./pg.ts";
import { withDatabase } from "./db-url.ts";

export interface TestDatabase { name: string; url: string; drop(): Promise<void> }

export async function createTestDatabase(serverUrl: string, label = "test"): Promise<TestDatabase> {
  const name = `kazi_${label}_${Date.now()}_${randomBytes(3).toString("hex")}`;
  await ensureDatabase(serverUrl, name);
  const url = withDatabase(serverUrl, name);
  return { name, url, drop: () => dropDatabase(serverUrl, name) };
}

/** pgTAP lives in `extensions`, as Supabase installs it; tests switch roles, so the API roles may call it. */
export async function installPgTap(url: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query("create extension if not exists pgtap with schema extensions");
    await c.query("grant execute on all functions in schema extensions to anon, authenticated, service_role");
  });
}

export async function createMigratedDatabase(serverUrl: string, label = "test"): Promise<TestDatabase> {
  const db = await createTestDatabase(serverUrl, label);
  try {
    await migrate(db.url, { quiet: true });
  } catch (err) {
    await db.drop();
    throw err;
  }
  return db;
}
