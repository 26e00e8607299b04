import pg from "pg";
import { ToolError } from "./cli.ts";
import { hostPort } from "./db-url.ts";

/** Opens a client, turning connection failures into one line that names host and port. */
export async function connect(url: string, timeoutMs = 5000): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw new ToolError(`cannot connect to Postgres at ${hostPort(url)}: ${reason(err)}`);
  }
}

export async function canConnect(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const client = await connect(url, timeoutMs);
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === "28P01") return "password authentication failed";
  if (e.code === "ECONNREFUSED") return "connection refused";
  if (e.code === "3D000") return "database does not exist";
  // pg messages name host/user/database but never the password.
  return e.message?.split("\n")[0] ?? String(err);
}
