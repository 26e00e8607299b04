// Docker-free stand-in for `supabase functions serve` (Deno): every folder in
// functions/ with an app.ts is served at /functions/v1/<name>, the URL layout of
// the Supabase local stack. Each app already carries basePath('/<name>'), exactly
// as the Supabase edge runtime hands it requests, so the gateway only strips
// the /functions/v1 prefix. Functions verify tokens themselves, so nothing here
// emulates config.toml's verify_jwt.
//
// KAZI_FUNCTIONS_WORKERS=N (N > 1) runs the apps in N workers, as the edge
// runtime's main worker hands requests to user workers: this thread only
// accepts connections and passes each request to the worker with the fewest
// requests in hand. One thread runs one request's JavaScript at a time, so a
// single one is the ceiling on a machine with more cores (bench/api.bench.ts);
// handing out requests, not connections, keeps every worker equally busy.
import { type FetchApp, loadFunctionApps, routeOf } from "./lib/function-apps.ts";
import type { WorkerRequest, WorkerResponse } from "./functions-worker.ts";

const port = Number(Deno.env.get("KAZI_FUNCTIONS_PORT") ?? 54321);
const workerCount = Math.max(1, Number(Deno.env.get("KAZI_FUNCTIONS_WORKERS") ?? 1) || 1);
// KAZI_FUNCTIONS_ONLY=admin,health serves a subset (while one is being built).
const only = Deno.env.get("KAZI_FUNCTIONS_ONLY")?.split(",").map((s) => s.trim()).filter(Boolean);

function notFound(): Response {
  return Response.json(
    { error: { code: "not_found", message: "No such function", details: null, request_id: null } },
    { status: 404 },
  );
}

type Handler = { names: string[]; handle(name: string, url: URL, req: Request): Promise<Response> };

async function inProcess(): Promise<Handler> {
  const apps = await loadFunctionApps(only);
  return {
    names: [...apps.keys()],
    handle: async (name, url, req) => await (apps.get(name) as FetchApp).fetch(new Request(url, req)),
  };
}

async function inWorkers(count: number): Promise<Handler> {
  const workers = await Promise.all(Array.from({ length: count }, () => startWorker()));
  const pending = new Map<number, (r: WorkerResponse) => void>();
  const inHand = workers.map(() => 0);
  let next = 0;
  workers.forEach(({ worker }, w) => {
    // a worker that dies would leave its requests unanswered: stop, so whoever runs us sees it
    worker.onerror = (e) => {
      console.error(`functions: a worker failed: ${e.message}`);
      Deno.exit(1);
    };
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      inHand[w]--;
      pending.get(e.data.id)?.(e.data);
      pending.delete(e.data.id);
    };
  });
  return {
    names: workers[0].names,
    async handle(name, url, req) {
      // the least busy worker; ties taken in turn
      let w = next = (next + 1) % count;
      for (let k = 0; k < count; k++) if (inHand[k] < inHand[w]) w = k;
      const body = req.body ? await req.arrayBuffer() : null;
      const id = ++requestSeq;
      const reply = new Promise<WorkerResponse>((resolve) => pending.set(id, resolve));
      inHand[w]++;
      const message: WorkerRequest = { id, name, url: url.href, method: req.method, headers: [...req.headers], body };
      workers[w].worker.postMessage(message, body ? [body] : []);
      const r = await reply;
      return new Response(r.body, { status: r.status, headers: r.headers });
    },
  };
}
let requestSeq = 0;

function startWorker(): Promise<{ worker: Worker; names: string[] }> {
  const worker = new Worker(new URL("./functions-worker.ts", import.meta.url), { type: "module" });
  return new Promise((ready, fail) => {
    worker.onmessage = (e: MessageEvent<{ ready?: boolean; names?: string[] }>) => {
      if (e.data.ready) ready({ worker, names: e.data.names ?? [] });
    };
    worker.onerror = (e) => {
      e.preventDefault();
      fail(new Error(`a functions worker failed to start: ${e.message}`));
    };
  });
}

const handler = workerCount > 1 ? await inWorkers(workerCount) : await inProcess();

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () =>
    console.log(
      `functions: listening on http://127.0.0.1:${port}/functions/v1/{${handler.names.join(",")}}` +
        (workerCount > 1 ? ` (${workerCount} workers)` : ""),
    ),
}, (req) => {
  const route = routeOf(req.url);
  if (!route || !handler.names.includes(route.name)) return notFound();
  return handler.handle(route.name, route.url, req);
});
