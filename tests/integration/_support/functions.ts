// Calling the served functions the way a client does.

import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { env } from "./env.ts";

export interface CallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export function functionsUrl(): string {
  if (!env.functionsUrl) throw new Error("KAZI_FUNCTIONS_URL is not set");
  return env.functionsUrl;
}

/** The Supabase project URL the functions live under (without /functions/v1). */
export function supabaseUrl(): string {
  return functionsUrl().replace(/\/functions\/v1$/, "");
}

/** fetch `${KAZI_FUNCTIONS_URL}/<name><path>`; parses JSON bodies. */
export async function callFunction<T = unknown>(name: string, path = "", o: CallOptions = {}): Promise<CallResult<T>> {
  const headers = new Headers(o.headers);
  if (o.token) headers.set("authorization", `Bearer ${o.token}`);
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await fetch(`${functionsUrl()}/${name}${path}`, {
    method: o.method ?? (body ? "POST" : "GET"),
    headers,
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/**
 * A supabase-js client as a frontend creates it: project URL and the anon key;
 * pass `accessToken` to act as a signed-in user.
 */
export function supabaseClient(anonKey: string, accessToken?: string): SupabaseClient {
  return createClient(supabaseUrl(), anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: accessToken ? { headers: { authorization: `Bearer ${accessToken}` } } : undefined,
  });
}
