// The development database every npm script works on: DATABASE_URL's database
// as given, otherwise a `kazi` database on the provisioned server.
import { provision, type Provisioned } from "./provision.ts";
import { ensureEnvFile } from "./secrets.ts";
import { ensureDatabase } from "./migrate.ts";
import { withDatabase } from "./db-url.ts";

export const DEV_DATABASE = "kazi";

export interface Target { server: Provisioned; url: string }

export async function devDatabase(opts: { quiet?: boolean } = {}): Promise<Target> {
  const { secrets } = await ensureEnvFile();
  const server = await provision({ embeddedPassword: secrets.KAZI_EMBEDDED_DB_PASSWORD, quiet: opts.quiet });
  if (server.source === "DATABASE_URL") return { server, url: server.url };
  await ensureDatabase(server.url, DEV_DATABASE);
  return { server, url: withDatabase(server.url, DEV_DATABASE) };
}

/** Runs fn against the dev database, stopping an embedded server afterwards. */
export async function onDevDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const { server, url } = await devDatabase();
  try {
    await fn(url);
  } finally {
    await server.stop();
  }
}
