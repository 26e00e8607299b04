// The function environment, parsed once at boot with zod. A missing or
// malformed variable stops the function at start with a message that names
// the variable and the problem, never its value. Handlers never read the
// environment: they receive the parsed Config (or the part they need).
//
// Each function asks only for the parts it uses (health needs the database
// and CORS, not the JWT or encryption keys):
//   const config = loadConfig(Deno.env.toObject(), ["db", "http", "auth"]);

import { z } from "zod";
import { type CryptoConfig, loadCryptoConfig } from "./crypto/config.ts";

export type { CryptoConfig };

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid function configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

export interface DbConfig {
  /** Database URL. Never log it: it may carry a password. */
  url: string;
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** Named prepared statements per connection (off behind a pooler that cannot keep them). */
  preparedStatements?: boolean;
}

export interface HttpConfig {
  allowedOrigins: string[];
  bodyLimitBytes: number;
  /** Requests a function works on at once; later ones wait in arrival order (absent: no limit). */
  maxConcurrentRequests?: number;
}

export interface AuthConfig {
  issuer: string;
  audience: string;
  /** Legacy HS256 shared secret (UTF-8 bytes, as Supabase uses it). */
  hs256Secret?: Uint8Array;
  /** Inline public JWK set (from KAZI_JWKS or the file KAZI_JWKS_FILE). */
  jwks?: { keys: Record<string, unknown>[] };
  /** Remote JWK set URL (Supabase: <project>/auth/v1/.well-known/jwks.json). */
  jwksUrl?: URL;
  /** How long a verified token is taken at its word again without re-checking its signature (0: never). */
  verifiedTokenCacheMs?: number;
}

export interface Config {
  db?: DbConfig;
  http: HttpConfig;
  auth?: AuthConfig;
  crypto?: CryptoConfig;
}

export type ConfigPart = "db" | "auth" | "crypto";

export type LoadedConfig<P extends ConfigPart> = Config & { [K in P]-?: NonNullable<Config[K]> };

// ---------------------------------------------------------------------------
// helpers

const nonEmpty = z.string().trim().min(1, "is empty");

const postgresUrl = nonEmpty.refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === "postgres:" || u.protocol === "postgresql:";
  } catch {
    return false;
  }
}, "must be a postgres:// or postgresql:// URL");

const intInRange = (min: number, max: number, fallback: number) =>
  z.string().trim().optional().transform((v, ctx) => {
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}` });
      return z.NEVER;
    }
    return n;
  });

const originList = z.string().optional().transform((v, ctx) => {
  if (v === undefined || v.trim() === "") return [] as string[];
  const out: string[] = [];
  for (const raw of v.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be comma-separated origins such as https://app.example.com" });
      return z.NEVER;
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== item.replace(/\/$/, "")) {
      ctx.addIssue({ code: "custom", message: "each entry must be a bare origin (scheme://host[:port]) with no path" });
      return z.NEVER;
    }
    out.push(url.origin);
  }
  return out;
});

const jwkSet = z.object({
  keys: z.array(
    z.looseObject({ kty: z.enum(["EC", "RSA", "OKP"]) }).refine(
      (k) => !("d" in k) && !("p" in k) && !("k" in k),
      "must hold public keys only (no private or symmetric members)",
    ),
  ).min(1, "must contain at least one key"),
});

/** Formats zod issues as "NAME: problem" lines, never including input values. */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const name = i.path.length ? String(i.path[0]) : "(environment)";
    const msg = i.code === "invalid_type" ? "is missing" : i.message;
    return `${name}: ${msg}`;
  });
}

// ---------------------------------------------------------------------------
// parts

const dbSchema = z.object({
  SUPABASE_DB_URL: postgresUrl,
  KAZI_DB_POOL_MAX: intInRange(1, 100, 5),
  KAZI_DB_CONNECT_TIMEOUT_MS: intInRange(100, 60_000, 3_000),
  KAZI_DB_STATEMENT_TIMEOUT_MS: intInRange(100, 600_000, 10_000),
  KAZI_DB_PREPARED_STATEMENTS: z.enum(["true", "false"]).default("true"),
});

const httpSchema = z.object({
  KAZI_ALLOWED_ORIGINS: originList,
  KAZI_BODY_LIMIT_BYTES: intInRange(1024, 10 * 1024 * 1024, 64 * 1024),
  KAZI_MAX_CONCURRENT_REQUESTS: intInRange(1, 10_000, 16),
});

const authSchema = z.object({
  KAZI_JWT_ISSUER: z.string().trim().optional().transform((v) => v || "http://127.0.0.1:54321/auth/v1"),
  KAZI_JWT_AUDIENCE: z.string().trim().optional().transform((v) => v || "authenticated"),
  KAZI_JWT_SECRET: z.string().optional().refine(
    (v) => v === undefined || v === "" || v.length >= 32,
    "must be at least 32 characters",
  ),
  KAZI_JWKS: z.string().optional(),
  KAZI_TOKEN_CACHE_SECONDS: intInRange(0, 300, 30),
  KAZI_JWKS_URL: z.string().trim().optional().refine((v) => {
    if (!v) return true;
    try {
      const u = new URL(v);
      return u.protocol === "https:" || u.hostname === "127.0.0.1" || u.hostname === "localhost";
    } catch {
      return false;
    }
  }, "must be an https URL (http only for localhost)"),
  KAZI_JWKS_FILE: z.string().trim().optional(),
});

export interface LoadOptions {
  /** Reads KAZI_JWKS_FILE; injected so tests need no file system. */
  readTextFile?: (path: string) => string;
}

/**
 * Parses the environment. Throws ConfigError listing every problem at once.
 * `parts` lists what this function needs beyond CORS/body limits.
 */
export function loadConfig<P extends ConfigPart>(
  env: Env,
  parts: readonly P[],
  options: LoadOptions = {},
): LoadedConfig<P> {
  const problems: string[] = [];
  const config: Config = { http: { allowedOrigins: [], bodyLimitBytes: 64 * 1024 } };

  const http = httpSchema.safeParse(env);
  if (http.success) {
    config.http = {
      allowedOrigins: http.data.KAZI_ALLOWED_ORIGINS,
      bodyLimitBytes: http.data.KAZI_BODY_LIMIT_BYTES,
      maxConcurrentRequests: http.data.KAZI_MAX_CONCURRENT_REQUESTS,
    };
  } else problems.push(...problemsOf(http.error));

  if (parts.includes("db" as P)) {
    const db = dbSchema.safeParse(env);
    if (db.success) {
      config.db = {
        url: db.data.SUPABASE_DB_URL,
        poolMax: db.data.KAZI_DB_POOL_MAX,
        connectTimeoutMs: db.data.KAZI_DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: db.data.KAZI_DB_STATEMENT_TIMEOUT_MS,
        preparedStatements: db.data.KAZI_DB_PREPARED_STATEMENTS === "true",
      };
    } else problems.push(...problemsOf(db.error));
  }

  if (parts.includes("auth" as P)) {
    const auth = authSchema.safeParse(env);
    if (auth.success) {
      const a = auth.data;
      const out: AuthConfig = {
        issuer: a.KAZI_JWT_ISSUER,
        audience: a.KAZI_JWT_AUDIENCE,
        verifiedTokenCacheMs: a.KAZI_TOKEN_CACHE_SECONDS * 1000,
      };
      if (a.KAZI_JWT_SECRET) out.hs256Secret = new TextEncoder().encode(a.KAZI_JWT_SECRET);
      let jwksText: string | undefined;
      let jwksName = "KAZI_JWKS";
      if (a.KAZI_JWKS && a.KAZI_JWKS.trim() !== "") jwksText = a.KAZI_JWKS;
      else if (a.KAZI_JWKS_FILE) {
        jwksName = "KAZI_JWKS_FILE";
        try {
          jwksText = (options.readTextFile ?? ((p) => Deno.readTextFileSync(p)))(a.KAZI_JWKS_FILE);
        } catch {
          problems.push("KAZI_JWKS_FILE: cannot be read");
        }
      }
      if (jwksText !== undefined) {
        let json: unknown;
        try {
          json = JSON.parse(jwksText);
        } catch {
          problems.push(`${jwksName}: is not valid JSON`);
        }
        if (json !== undefined) {
          const parsed = jwkSet.safeParse(json);
          if (parsed.success) out.jwks = parsed.data as AuthConfig["jwks"];
          else problems.push(...parsed.error.issues.map((i) => `${jwksName}: ${i.message}`));
        }
      }
      if (a.KAZI_JWKS_URL) out.jwksUrl = new URL(a.KAZI_JWKS_URL);
      if (!out.hs256Secret && !out.jwks && !out.jwksUrl && !problems.some((p) => p.startsWith("KAZI_JWKS"))) {
        problems.push(
          "KAZI_JWT_SECRET / KAZI_JWKS / KAZI_JWKS_FILE / KAZI_JWKS_URL: at least one verification key source is required",
        );
      }
      config.auth = out;
    } else problems.push(...problemsOf(auth.error));
  }

  if (parts.includes("crypto" as P)) {
    // One parser for the encryption secrets: the crypto module's own.
    try {
      config.crypto = loadCryptoConfig(env);
    } catch (err) {
      const message = err instanceof Error && /^KAZI_[A-Z_]+: /.test(err.message)
        ? err.message
        : "KAZI_KEKS / KAZI_KEK_ACTIVE / KAZI_BLIND_INDEX_KEY: invalid";
      problems.push(message);
    }
  }

  if (problems.length) throw new ConfigError(problems);
  return config as LoadedConfig<P>;
}

/**
 * Boot-time entry: parse Deno's environment or exit the process with the
 * problem list (exit code 78, EX_CONFIG). Only index.ts files call this.
 */
export function loadConfigOrExit<P extends ConfigPart>(parts: readonly P[]): LoadedConfig<P> {
  try {
    return loadConfig(Deno.env.toObject(), parts);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      Deno.exit(78);
    }
    throw err;
  }
}
