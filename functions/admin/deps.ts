// What the admin routes receive: built once at boot by app.ts (or by a test).
import type { AuditSink } from "../_shared/audit.ts";
import type { TokenVerifier } from "../_shared/auth.ts";
import type { HttpConfig } from "../_shared/config.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import type { Db } from "../_shared/db.ts";
import type { IdempotencyStore } from "../_shared/idempotency.ts";
import type { RateLimiter } from "../_shared/rate-limit.ts";

export interface AdminDeps {
  http: HttpConfig;
  verifier?: TokenVerifier;
  /** Best-effort sink for refusals (the refused request's transaction rolls back). */
  audit: AuditSink;
  db: Db;
  vault: PiiVault;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  /** Reveals per user per window (default 10 per 60 s). */
  revealLimit?: { limit: number; windowSeconds: number };
  /** Keeps a promise running after the response (Supabase: EdgeRuntime.waitUntil). */
  runInBackground?: (work: Promise<unknown>) => void;
}

export const DEFAULT_REVEAL_LIMIT = { limit: 10, windowSeconds: 60 };
