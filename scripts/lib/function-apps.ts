// The function apps of functions/<name>/app.ts, loaded by the local gateway
// (scripts/serve-functions.ts) or by each of its workers (functions-worker.ts).
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type FetchApp = { fetch: (req: Request) => Response | Promise<Response> };

export const PREFIX = "/functions/v1/";

const functionsDir = join(fileURLToPath(new URL("../..", import.meta.url)), "functions");

/** Every folder of functions/ with an app.ts (or those in `only`), by name. */
export async function loadFunctionApps(only?: readonly string[]): Promise<Map<string, FetchApp>> {
  const apps = new Map<string, FetchApp>();
  for (const entry of [...Deno.readDirSync(functionsDir)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory || entry.name.startsWith("_")) continue;
    if (only && !only.includes(entry.name)) continue;
    const appFile = join(functionsDir, entry.name, "app.ts");
    try {
      Deno.statSync(appFile);
    } catch {
      continue;
    }
    const mod = await import(new URL(`file://${appFile}`).href);
    apps.set(entry.name, mod.app as FetchApp);
  }
  return apps;
}

/** The function a URL names, and the URL as its app sees it (without /functions/v1). */
export function routeOf(requestUrl: string): { name: string; url: URL } | null {
  const url = new URL(requestUrl);
  if (!url.pathname.startsWith(PREFIX)) return null;
  const name = url.pathname.slice(PREFIX.length).split("/")[0];
  url.pathname = url.pathname.slice(PREFIX.length - 1);
  return { name, url };
}
