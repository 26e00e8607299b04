/// <reference lib="dom" />
// The signed-in dev session: the access token lives in sessionStorage (this
// tab only), and every page builds the typed client from it. The token's
// claims are shown and used to choose what to display; they are hints only —
// the functions decide everything from live rows.
import { createKaziClient, type KaziClient } from "../../packages/kazi-client/src/mod.ts";

const TOKEN_KEY = "kazi.dev.access_token";

export interface Claims {
  sub?: string;
  email?: string;
  exp?: number;
  app_metadata?: { tenants?: { tenant_id: string; role: string }[]; platform_role?: string | null };
}

export const getToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token.trim());
export const clearToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** The token's payload, unverified (display only). */
export function claims(token = getToken()): Claims | null {
  const part = token?.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Claims;
  } catch {
    return null;
  }
}

/** Same-origin: the dev server proxies /functions/v1 to the functions. */
export function kazi(): KaziClient {
  return createKaziClient({ baseUrl: "/functions/v1", accessToken: getToken });
}

/** Writes who is signed in into #who; returns the claims or null. */
export function showWho(): Claims | null {
  const c = claims();
  const who = document.getElementById("who");
  if (who) who.textContent = c ? `Signed in as ${c.email ?? c.sub}` : "Not signed in — use the sign-in page";
  return c;
}
