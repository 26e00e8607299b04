// What the browser tests need from the runner (the same environment as the
// Deno integration tests). A missing piece skips the suite with its name.
export interface BrowserEnv {
  functionsUrl: string;
  databaseUrl: string;
  keys: { KAZI_DEV_JWT_PRIVATE_JWK: string; KAZI_JWT_ISSUER: string; KAZI_JWT_AUDIENCE: string };
}

export const CHROMIUM = process.env.KAZI_CHROMIUM ?? "/usr/bin/chromium";

const REQUIRED = [
  "KAZI_FUNCTIONS_URL",
  "KAZI_TEST_DB_URL",
  "KAZI_DEV_JWT_PRIVATE_JWK",
  "KAZI_JWT_ISSUER",
  "KAZI_JWT_AUDIENCE",
];

/** The missing variables, or an empty list. */
export const missing = REQUIRED.filter((n) => !process.env[n]);

export function browserEnv(): BrowserEnv {
  if (missing.length) throw new Error(`missing ${missing.join(", ")}`);
  const e = process.env as Record<string, string>;
  return {
    functionsUrl: e.KAZI_FUNCTIONS_URL.replace(/\/+$/, ""),
    databaseUrl: e.KAZI_TEST_DB_URL,
    keys: {
      KAZI_DEV_JWT_PRIVATE_JWK: e.KAZI_DEV_JWT_PRIVATE_JWK,
      KAZI_JWT_ISSUER: e.KAZI_JWT_ISSUER,
      KAZI_JWT_AUDIENCE: e.KAZI_JWT_AUDIENCE,
    },
  };
}

/** `describe(name, { skip }, …)`: the reason a suite cannot run here, or false. */
export const skipReason: string | false = missing.length ? `needs ${missing.join(", ")} (run through npm test)` : false;
