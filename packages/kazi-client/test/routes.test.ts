// The client has a method for every route each function registers, with the
// same HTTP method and path, and nothing else.
import assert from "node:assert/strict";
import { createKaziClient } from "../src/client.ts";
import { type FunctionName, ROUTES } from "../src/routes.ts";
import { routeKey, serverRoutes } from "./server-routes.ts";

const FUNCTIONS = Object.keys(ROUTES) as FunctionName[];

for (const fn of FUNCTIONS) {
  Deno.test(`${fn}: every registered route has a client method, and every client method a route`, () => {
    const server = serverRoutes(fn).map(routeKey).sort();
    const client = Object.values(ROUTES[fn]).map(routeKey).sort();
    assert.ok(server.length > 0, `${fn} registers routes`);
    assert.deepEqual(client, server);
  });
}

Deno.test("the client object exposes one callable per route table entry", () => {
  const kazi = createKaziClient({ baseUrl: "http://127.0.0.1:1/functions/v1", accessToken: () => null });
  for (const fn of FUNCTIONS) {
    const methods = Object.keys(kazi[fn]).sort();
    assert.deepEqual(methods, Object.keys(ROUTES[fn]).sort(), fn);
    for (const m of methods) assert.equal(typeof (kazi[fn] as Record<string, unknown>)[m], "function", `${fn}.${m}`);
  }
});

Deno.test("all three functions together: 46 routes, no client method twice", () => {
  const all = FUNCTIONS.flatMap((fn) => Object.values(ROUTES[fn]).map((r) => `${fn} ${routeKey(r)}`));
  assert.equal(new Set(all).size, all.length);
  assert.equal(all.length, FUNCTIONS.reduce((n, fn) => n + serverRoutes(fn).length, 0));
});
