// The schemas the client's types are made of (src/route-schemas.ts) are the
// schemas each route registers: for every route and every part (path params,
// query, JSON body, success response) the JSON Schema of both sides is equal,
// for what the server accepts (input) and what it answers (output).
// route-schemas.ts imports the server's schemas rather than copying them, so
// this proves the wiring: each client method names the schemas of its own
// route, and a part the route adds or drops is missing or extra here.
import assert from "node:assert/strict";
import type { RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import { adminRouteSchemas, onboardingRouteSchemas, supportRouteSchemas } from "../src/route-schemas.ts";
import { type FunctionName, ROUTES } from "../src/routes.ts";
import { routeKey, serverRoutes } from "./server-routes.ts";

const CLIENT: Record<FunctionName, Record<string, Partial<Record<Part, z.ZodType>>>> = {
  admin: adminRouteSchemas,
  onboarding: onboardingRouteSchemas,
  support: supportRouteSchemas,
};

type Part = "params" | "query" | "body" | "response";

function serverPart(route: RouteConfig, part: Part): z.ZodType | undefined {
  const req = route.request ?? {};
  if (part === "params") return req.params as z.ZodType | undefined;
  if (part === "query") return req.query as z.ZodType | undefined;
  // deno-lint-ignore no-explicit-any
  if (part === "body") return (req.body?.content?.["application/json"] as any)?.schema;
  const ok = Object.keys(route.responses).filter((s) => s.startsWith("2"));
  assert.equal(ok.length, 1, `${routeKey(route)} has one success response`);
  // deno-lint-ignore no-explicit-any
  return (route.responses[ok[0]] as any).content?.["application/json"]?.schema;
}

// A fresh registry: OpenAPI names, examples and descriptions are not part of the contract.
const jsonSchema = (s: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(s, { io, metadata: z.registry(), unrepresentable: "any", target: "draft-2020-12" });

for (const fn of Object.keys(ROUTES) as FunctionName[]) {
  const routes = new Map(serverRoutes(fn).map((r) => [routeKey(r), r]));
  for (const [method, ref] of Object.entries(ROUTES[fn])) {
    Deno.test(`${fn}.${method}: the client's schemas are the route's (${routeKey(ref)})`, () => {
      const route = routes.get(routeKey(ref));
      assert.ok(route, `route ${routeKey(ref)} is registered`);
      const mine = CLIENT[fn][method];
      assert.ok(mine, `route-schemas.ts has ${fn}.${method}`);
      for (const part of ["params", "query", "body", "response"] as const) {
        const server = serverPart(route, part);
        const client = mine[part];
        assert.equal(client === undefined, server === undefined, `${part} present on both sides or neither`);
        if (!server || !client) continue;
        for (const io of ["input", "output"] as const) {
          assert.deepEqual(jsonSchema(client, io), jsonSchema(server, io), `${part} (${io})`);
        }
      }
    });
  }
}
