import { existsSync, readFileSync } from "node:fs";
import { say } from "./cli.ts";
import { withClient } from "./pg.ts";
import { seedFile } from "./paths.ts";

/** Loads supabase/seed.sql (the same file `supabase db reset` loads); it is idempotent. */
export async function seed(url: string): Promise<void> {
  if (!existsSync(seedFile)) return say("no supabase/seed.sql; nothing to seed");
  await withClient(url, async (c) => {
    await c.query("begin");
    try {
      await c.query(readFileSync(seedFile, "utf8"));
      await c.query("commit");
    } catch (err) {
      await c.query("rollback");
      throw err;
    }
  });
  say("seeded supabase/seed.sql");
}
