// The client covers exactly the operations each served function publishes in
// its OpenAPI document (GET /<name>/openapi.json): one method per operation,
// same HTTP method and path — except the document route itself.
import assert from "node:assert/strict";
import { ROUTES } from "../../packages/kazi-client/src/routes.ts";
import { env } from "./_support/env.ts";

const METHODS = new Set(["get", "post", "put", "patch", "delete"]);

for (const fn of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
  Deno.test({
    name: `client ↔ ${fn}/openapi.json: the same operations`,
    ignore: !env.functionsUrl,
    fn: async () => {
      const res = await fetch(`${env.functionsUrl}/${fn}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = await res.json() as { paths: Record<string, Record<string, unknown>> };
      const published: string[] = [];
      for (const [path, item] of Object.entries(doc.paths)) {
        assert.ok(path.startsWith(`/${fn}/`), `${path} is under /${fn}`);
        for (const method of Object.keys(item)) {
          if (METHODS.has(method)) published.push(`${method.toUpperCase()} ${path.slice(fn.length + 1)}`);
        }
      }
      const client = Object.values(ROUTES[fn]).map((r) => `${r.method.toUpperCase()} ${r.path}`);
      assert.deepEqual(client.sort(), published.filter((op) => op !== "GET /openapi.json").sort());
    },
  });
}
