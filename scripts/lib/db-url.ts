// Connection strings are passed around whole but only ever printed redacted.

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "*****";
  return u.toString();
}

export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname || "localhost"}:${u.port || "5432"}`;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

/** The Supabase CLI (Go, pgx) tries TLS first; local servers here have none. */
export function forSupabaseCli(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has("sslmode")) u.searchParams.set("sslmode", "disable");
  return u.toString();
}
