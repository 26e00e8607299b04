// The environment the test runner gives integration tests. Tests that need a
// missing variable are skipped with a message naming it (never failed, never
// silently passed): `Deno.test({ ignore: !env.functionsUrl, ... })`.

export interface IntegrationEnv {
  /** e.g. http://127.0.0.1:54321/functions/v1 */
  functionsUrl?: string;
  /** Superuser URL of the throwaway test database. */
  testDbUrl?: string;
  issuer: string;
  audience: string;
}

function get(name: string): string | undefined {
  const v = Deno.env.get(name);
  return v && v.trim() !== "" ? v.trim() : undefined;
}

export const env: IntegrationEnv = {
  functionsUrl: get("KAZI_FUNCTIONS_URL")?.replace(/\/+$/, ""),
  testDbUrl: get("KAZI_TEST_DB_URL"),
  issuer: get("KAZI_JWT_ISSUER") ?? "http://127.0.0.1:54321/auth/v1",
  audience: get("KAZI_JWT_AUDIENCE") ?? "authenticated",
};

const warned = new Set<string>();

/** True when `names` are all set; otherwise prints once which are missing. */
export function requireEnv(...names: string[]): boolean {
  const missing = names.filter((n) => !get(n));
  if (missing.length) {
    const key = missing.join(",");
    if (!warned.has(key)) {
      warned.add(key);
      console.warn(`skipping: ${missing.join(", ")} not set (the test runner sets it when the stack is up)`);
    }
    return false;
  }
  return true;
}
