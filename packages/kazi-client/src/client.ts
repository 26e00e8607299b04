// createKaziClient: one typed method per route of the admin, onboarding and
// support functions, over fetch with the caller's access token. Works in the
// browser and in Node/Deno; with supabase-js pass
// `accessToken: sessionAccessToken(supabase)` (see supabase.ts).
import type { CallInput, FunctionClient, RouteSchemas, SameKeys } from "./endpoint.ts";
import { errorFromResponse, KaziApiError } from "./errors.ts";
import type { adminRouteSchemas, onboardingRouteSchemas, supportRouteSchemas } from "./route-schemas.ts";
import { type FunctionName, type RouteRef, ROUTES } from "./routes.ts";

/** Admin Portal: tenants, members, invitations, employees (masked), reveal and erasure, audit, key rotation. */
export type AdminRoutes = typeof adminRouteSchemas;
/** Onboarding: accept an invitation, fill and submit my case; HR review. */
export type OnboardingRoutes = typeof onboardingRouteSchemas;
/** Support: the tenant's tickets and access-grant decisions; the agent's queue, grants and masked reads. */
export type SupportRoutes = typeof supportRouteSchemas;

export interface KaziClientOptions {
  /** Where the functions live: `https://<ref>.supabase.co/functions/v1`, or `/functions/v1` same-origin. */
  baseUrl: string;
  /** The current access token, or null when signed out (the call then fails with 401). */
  accessToken: () => string | null | undefined | Promise<string | null | undefined>;
  fetch?: typeof fetch;
  /** Extra headers on every call (e.g. Supabase's `apikey`). */
  headers?: Record<string, string>;
}

export interface KaziClient {
  admin: FunctionClient<AdminRoutes>;
  onboarding: FunctionClient<OnboardingRoutes>;
  support: FunctionClient<SupportRoutes>;
}

// Every typed route has a path in ROUTES and every path has types: otherwise
// these lines fail the type check.
const adminCovered: SameKeys<AdminRoutes, typeof ROUTES.admin> = true;
const onboardingCovered: SameKeys<OnboardingRoutes, typeof ROUTES.onboarding> = true;
const supportCovered: SameKeys<SupportRoutes, typeof ROUTES.support> = true;
void [adminCovered, onboardingCovered, supportCovered];

type AnyInput =
  & { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown }
  & CallInput<
    RouteSchemas
  >;

/** Fills `{name}` segments; a missing parameter is a programming error, not a request. */
export function fillPath(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === "") throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

export function queryString(query: Record<string, unknown> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
}

export function createKaziClient(options: KaziClientOptions): KaziClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function call(fn: FunctionName, route: RouteRef, input: AnyInput = {}): Promise<unknown> {
    const url = `${base}/${fn}${fillPath(route.path, input.params)}${queryString(input.query)}`;
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const token = await options.accessToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (input.idempotencyKey) headers["idempotency-key"] = input.idempotencyKey;
    let body: string | undefined;
    if (input.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(input.body);
    }
    let res: Response;
    try {
      res = await doFetch(url, { method: route.method.toUpperCase(), headers, body, signal: input.signal });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      throw new KaziApiError(0, {
        code: "network_error",
        message: "The Kazi functions could not be reached",
        details: {},
        request_id: null,
      });
    }
    if (!res.ok) throw await errorFromResponse(res);
    try {
      return await res.json();
    } catch {
      throw new KaziApiError(res.status, {
        code: "unexpected_response",
        message: "The response is not JSON",
        details: {},
        request_id: res.headers.get("x-request-id"),
      });
    }
  }

  function functionClient<F extends FunctionName>(fn: F) {
    const routes: Record<string, RouteRef> = ROUTES[fn];
    return Object.freeze(
      Object.fromEntries(
        Object.entries(routes).map(([method, route]) => [method, (input?: AnyInput) => call(fn, route, input)]),
      ),
    );
  }

  // The runtime table and the typed interfaces have the same keys (checked above).
  return {
    admin: functionClient("admin") as unknown as KaziClient["admin"],
    onboarding: functionClient("onboarding") as unknown as KaziClient["onboarding"],
    support: functionClient("support") as unknown as KaziClient["support"],
  };
}
