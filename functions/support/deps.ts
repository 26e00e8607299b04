// What the support routes receive: built once at boot by app.ts (or by a test).
import type { AuditSink } from "../_shared/audit.ts";
import type { TokenVerifier } from "../_shared/auth.ts";
import type { HttpConfig } from "../_shared/config.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import type { Db } from "../_shared/db.ts";
import type { IdempotencyStore } from "../_shared/idempotency.ts";

export interface SupportDeps {
  http: HttpConfig;
  verifier?: TokenVerifier;
  /** Best-effort sink for refusals (the refused request's transaction rolls back). */
  audit: AuditSink;
  db: Db;
  /** Used only to mask employees' protected fields for agents (never to reveal). */
  vault: PiiVault;
  idempotency: IdempotencyStore;
}
