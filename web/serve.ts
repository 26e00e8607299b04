// Dev server for the reference pages (`npm run web`): serves web/pages, the
// esbuild bundles of web/src, the dev sign-in routes and a same-origin proxy
// to the functions. Loopback only; a development tool, never deployed.
//
//   KAZI_FUNCTIONS_URL  where the functions are (default: npm start's, http://127.0.0.1:54321/functions/v1)
//   DATABASE_URL        the database whose users can sign in (default: postgresql://postgres@127.0.0.1:5432/kazi)
//   KAZI_WEB_PORT       port (default 54330)
//   dev token keys (KAZI_DEV_JWT_PRIVATE_JWK, KAZI_JWT_ISSUER, KAZI_JWT_AUDIENCE) from the
//   environment, else from .env.local (written by the first `npm start`)
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type { DevTokenKeys } from "../scripts/lib/dev-token.ts";
import { readEnvFile } from "../scripts/lib/secrets.ts";
import { type Bundler, createBundler } from "./server/bundle.ts";
import { createDevAuth, type DevAuth } from "./server/dev-auth.ts";
import { proxyToFunctions } from "./server/proxy.ts";

export interface WebServerOptions {
  port: number;
  functionsUrl: string;
  databaseUrl: string;
  keys: DevTokenKeys;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

const pagesDir = fileURLToPath(new URL("./pages/", import.meta.url));
const PAGE_FILES: Record<string, string> = {
  "/": "sign-in.html",
  "/onboarding": "onboarding.html",
  "/admin": "admin.html",
  "/support": "support.html",
  "/style.css": "style.css",
};
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  send(res, status, "application/json", JSON.stringify(body));
}

const devError = (code: string, message: string) => ({ error: { code, message, details: {}, request_id: null } });

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new Error("too large");
  }
  return JSON.parse(text);
}

async function devToken(auth: DevAuth, req: IncomingMessage, res: ServerResponse) {
  let email: unknown;
  try {
    email = ((await readJson(req)) as { email?: unknown }).email;
  } catch {
    return sendJson(res, 400, devError("invalid_input", 'Send {"email": "…"}'));
  }
  if (typeof email !== "string" || !email.includes("@") || email.length > 320) {
    return sendJson(res, 400, devError("invalid_input", 'Send {"email": "…"}'));
  }
  try {
    return sendJson(res, 200, { access_token: await auth.token(email) });
  } catch {
    return sendJson(res, 404, devError("not_found", "No user with that email"));
  }
}

function handler(o: WebServerOptions, auth: DevAuth, bundler: Bundler) {
  let assets: Promise<Map<string, string>> | undefined;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (path.startsWith("/functions/v1/")) {
      return proxyToFunctions(o.functionsUrl, path.slice("/functions/v1".length) + url.search, req, res);
    }
    if (path === "/dev/users" && req.method === "GET") {
      return sendJson(res, 200, { items: await auth.users(url.searchParams.get("q") ?? "") });
    }
    if (path === "/dev/token" && req.method === "POST") return devToken(auth, req, res);
    if (req.method !== "GET") return sendJson(res, 405, devError("not_found", "Method not allowed"));
    const asset = /^\/assets\/([a-z-]+\.js)$/.exec(path);
    if (asset) {
      // A page load rebuilds; its script requests reuse that build.
      assets ??= bundler.build();
      const js = (await assets).get(asset[1]);
      return js
        ? send(res, 200, "text/javascript; charset=utf-8", js)
        : sendJson(res, 404, devError("not_found", "No such asset"));
    }
    const file = PAGE_FILES[path];
    if (!file) return sendJson(res, 404, devError("not_found", "No such page"));
    if (file.endsWith(".html")) assets = bundler.build();
    const type = file.endsWith(".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8";
    return send(res, 200, type, await readFile(pagesDir + file, "utf8"));
  };
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const auth = createDevAuth(o.databaseUrl, o.keys);
  const bundler = await createBundler();
  const handle = handler(o, auth, bundler);
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, devError("internal", "The dev server failed"));
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(o.port, "127.0.0.1", () => done());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await Promise.all([auth.close(), bundler.dispose()]);
    },
  };
}

function optionsFromEnvironment(): WebServerOptions {
  const fileSecrets = readEnvFile() ?? {};
  const get = (name: string) => process.env[name] || fileSecrets[name];
  const missing = ["KAZI_DEV_JWT_PRIVATE_JWK", "KAZI_JWT_ISSUER", "KAZI_JWT_AUDIENCE"].filter((n) => !get(n));
  if (missing.length) {
    throw new Error(`missing ${missing.join(", ")}: run \`npm start\` once (it writes .env.local) or set them`);
  }
  return {
    port: Number(process.env.KAZI_WEB_PORT ?? 54330),
    functionsUrl: (process.env.KAZI_FUNCTIONS_URL ?? "http://127.0.0.1:54321/functions/v1").replace(/\/+$/, ""),
    databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/kazi",
    keys: {
      KAZI_DEV_JWT_PRIVATE_JWK: get("KAZI_DEV_JWT_PRIVATE_JWK")!,
      KAZI_JWT_ISSUER: get("KAZI_JWT_ISSUER")!,
      KAZI_JWT_AUDIENCE: get("KAZI_JWT_AUDIENCE")!,
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const o = optionsFromEnvironment();
    const web = await startWebServer(o);
    console.log(`web: ${web.url}  (functions: ${o.functionsUrl})`);
    const stop = () => void web.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (err) {
    console.error(`web: ${(err as Error).message}`);
    process.exit(1);
  }
}
