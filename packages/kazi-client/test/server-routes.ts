// The routes each function really registers, read from its OpenAPI registry
// (the same one that renders GET /<name>/openapi.json). The apps are built
// with placeholder deps: building registers routes and touches no dependency.
import type { RouteConfig } from "@hono/zod-openapi";
import { createAdminApp } from "../../../functions/admin/create-app.ts";
import type { FunctionApp } from "../../../functions/_shared/function-app.ts";
import { createOnboardingApp } from "../../../functions/onboarding/create-app.ts";
import { createSupportApp } from "../../../functions/support/create-app.ts";
import type { FunctionName } from "../src/routes.ts";

const http = { allowedOrigins: [], bodyLimitBytes: 65536 };
// deno-lint-ignore no-explicit-any
const placeholderDeps = { http } as any;

const apps: Record<FunctionName, () => FunctionApp> = {
  admin: () => createAdminApp(placeholderDeps),
  onboarding: () => createOnboardingApp(placeholderDeps),
  support: () => createSupportApp(placeholderDeps),
};

export function serverRoutes(fn: FunctionName): RouteConfig[] {
  const out: RouteConfig[] = [];
  for (const d of apps[fn]().openAPIRegistry.definitions) if (d.type === "route") out.push(d.route);
  return out;
}

export const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
