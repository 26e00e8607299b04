// Docker-free stand-in for `supabase functions serve` (Deno): every folder in
// functions/ with an app.ts is served at /functions/v1/<name>, the URL layout of
// the Supabase local stack. Each app already carries basePath('/<name>'), exactly
// as the Supabase edge runtime hands it requests, so the gateway only strips
// the /functions/v1 prefix. Functions verify tokens themselves, so nothing here
// emulates config.toml's verify_jwt.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

type FetchApp = { fetch: (req: Request) => Response | Promise<Response> };

const functionsDir = join(fileURLToPath(new URL("..", import.meta.url)), "functions");
const port = Number(Deno.env.get("KAZI_FUNCTIONS_PORT") ?? 54321);
const prefix = "/functions/v1/";

// KAZI_FUNCTIONS_ONLY=admin,health serves a subset (while one is being built).
const only = Deno.env.get("KAZI_FUNCTIONS_ONLY")?.split(",").map((s) => s.trim()).filter(Boolean);

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

function notFound(): Response {
  return Response.json(
    { error: { code: "not_found", message: "No such function", details: null, request_id: null } },
    { status: 404 },
  );
}

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`functions: listening on http://127.0.0.1:${port}${prefix}{${[...apps.keys()].join(",")}}`),
}, (req) => {
  const url = new URL(req.url);
  if (!url.pathname.startsWith(prefix)) return notFound();
  const name = url.pathname.slice(prefix.length).split("/")[0];
  const app = apps.get(name);
  if (!app) return notFound();
  url.pathname = url.pathname.slice(prefix.length - 1);
  return app.fetch(new Request(url, req));
});
