// /functions/v1/* → the functions, so the pages call them same-origin (no
// CORS in the way, the same URL layout as a Supabase project). The browser's
// Origin and cookies are not forwarded: the functions see a server-to-server
// call carrying only the page's bearer token.
import type { IncomingMessage, ServerResponse } from "node:http";

const DROP_REQUEST = new Set([
  "host",
  "connection",
  "origin",
  "referer",
  "cookie",
  "content-length",
  "accept-encoding",
]);
const DROP_RESPONSE = new Set(["connection", "content-encoding", "content-length", "transfer-encoding", "keep-alive"]);
const MAX_BODY_BYTES = 1 << 20;

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (req.method === "GET" || req.method === "HEAD") return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large for the dev proxy");
    chunks.push(chunk as Buffer);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return body;
}

export async function proxyToFunctions(functionsUrl: string, rest: string, req: IncomingMessage, res: ServerResponse) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || DROP_REQUEST.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  headers.set("x-forwarded-for", req.socket.remoteAddress ?? "127.0.0.1");
  let upstream: Response;
  try {
    upstream = await fetch(`${functionsUrl}${rest}`, { method: req.method, headers, body: await readBody(req) });
  } catch {
    res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({
      error: {
        code: "unavailable",
        message: "The functions are not reachable from the dev server",
        details: {},
        request_id: null,
      },
    }));
    return;
  }
  const out: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (!DROP_RESPONSE.has(name)) out[name] = value;
  });
  res.writeHead(upstream.status, out);
  res.end(Buffer.from(await upstream.arrayBuffer()));
}
