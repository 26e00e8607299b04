// Docker-free stand-in for `supabase functions serve` (Deno): every folder in
// functions/ with an app.ts is served at /functions/v1/<name>, the URL layout of
// the Supabase local stack. Each app carries basePath('/<name>'), as the
// Supabase edge runtime hands it requests, and routes a path under the
// /functions/v1/ prefix as if it were not there (functions/_shared/function-app.ts),
// so the gateway hands each request over as it came. Functions verify tokens
// themselves, so nothing here emulates config.toml's verify_jwt.
//
// Instances: KAZI_FUNCTIONS_INSTANCES (default: one per CPU but one, left to
// the local Postgres), this thread and a Worker per further instance, each
// with its own apps, pools and caches, like instances of a deployed function
// (rate limits and idempotency keys live in the database). One isolate runs
// its JavaScript on one core. On two cores one instance serves more than two:
// its thread and Postgres's backends fill them, where a second instance only
// adds contention, and the kernel's reusePort hash spreads keep-alive
// connections unevenly (the bench's 50 went 15/35: 26 ms against 70 ms).
// Each instance listens on the port with reusePort, so the kernel spreads
// connections over them; with one shared socket (what `deno serve --parallel`
// does) a burst of connections all went to whichever instance accepted first.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GATEWAY_PREFIX as prefix } from "../functions/_shared/function-app.ts";
import { FUNCTIONS_READY, instanceCount } from "./lib/functions-command.ts";

type FetchApp = { fetch: (req: Request) => Response | Promise<Response> };

const functionsDir = join(fileURLToPath(new URL("..", import.meta.url)), "functions");
const port = Number(Deno.env.get("KAZI_FUNCTIONS_PORT") ?? 54321);
const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";

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

function gateway(req: Request): Response | Promise<Response> {
  const url = new URL(req.url);
  if (!url.pathname.startsWith(prefix)) return notFound();
  const name = url.pathname.slice(prefix.length).split("/")[0];
  const app = apps.get(name);
  if (!app) return notFound();
  return app.fetch(req);
}

/** Resolves once this instance listens. */
function listen(): Promise<void> {
  return new Promise((listening) => {
    Deno.serve({ hostname: "127.0.0.1", port, reusePort: true, onListen: () => listening() }, gateway);
  });
}

if (inWorker) {
  await listen();
  (self as unknown as { postMessage(message: string): void }).postMessage("listening");
} else {
  // reusePort would let a second gateway of the same user quietly share the
  // port (and its requests): a port something already listens on is refused.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
  const started = Array.from({ length: instanceCount(Deno.env.get("KAZI_FUNCTIONS_INSTANCES"), navigator.hardwareConcurrency) - 1 }, () =>
    new Promise<void>((listening, fail) => {
      const worker = new Worker(import.meta.url, { type: "module" });
      worker.onmessage = () => listening();
      worker.onerror = (e) => fail(e.error ?? new Error(e.message));
    }));
  await Promise.all([listen(), ...started]);
  console.log(`${FUNCTIONS_READY} on http://127.0.0.1:${port}${prefix}{${[...apps.keys()].join(",")}} (${started.length + 1} instances)`);
}
