// One worker of the local gateway (scripts/serve-functions.ts): every function
// app with its own pools, caches and event loop, answering the requests the
// gateway hands it. Messages in: {id, name, url, method, headers, body};
// out: {ready, names} once, then {id, status, headers, body} per request.
import { loadFunctionApps } from "./lib/function-apps.ts";

export interface WorkerRequest {
  id: number;
  name: string;
  url: string;
  method: string;
  headers: [string, string][];
  body: ArrayBuffer | null;
}

export interface WorkerResponse {
  id: number;
  status: number;
  headers: [string, string][];
  body: ArrayBuffer | null;
}

// a worker's global scope (typed here: the deno.worker lib would retype every file checked with this one)
const scope = self as unknown as {
  onmessage: (e: MessageEvent<WorkerRequest>) => void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

const only = Deno.env.get("KAZI_FUNCTIONS_ONLY")?.split(",").map((s) => s.trim()).filter(Boolean);
const apps = await loadFunctionApps(only);

scope.onmessage = async ({ data: m }) => {
  let out: WorkerResponse;
  try {
    const res = await apps.get(m.name)!.fetch(new Request(m.url, { method: m.method, headers: m.headers, body: m.body }));
    const body = res.body ? await res.arrayBuffer() : null;
    out = { id: m.id, status: res.status, headers: [...res.headers], body };
  } catch {
    // the apps answer their own errors; this is the gateway's last resort, without detail
    const body = new TextEncoder().encode(JSON.stringify({
      error: { code: "internal", message: "Internal server error", details: null, request_id: null },
    })).buffer as ArrayBuffer;
    out = { id: m.id, status: 500, headers: [["content-type", "application/json"]], body };
  }
  scope.postMessage(out, out.body ? [out.body] : []);
};
scope.postMessage({ ready: true, names: [...apps.keys()] });
