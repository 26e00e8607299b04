// Boot: parse the environment (fail at start when it is wrong), open the
// pool, build the verifier, the PII vault, the rate limiter and the stores.
//   KAZI_REVEAL_RATE_LIMIT   reveals per user per window (default 10)
//   KAZI_REVEAL_RATE_WINDOW_SECONDS   window length (default 60)
import { z } from "zod";
import { boot } from "../_shared/boot.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { createDbIdempotencyStore } from "../_shared/idempotency.ts";
import { createDbRateLimiter } from "../_shared/rate-limit.ts";
import { createAdminApp } from "./create-app.ts";

const { config, db, keyDb, verifier, audit } = boot(["auth", "crypto"]);

const limits = z.object({
  KAZI_REVEAL_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  KAZI_REVEAL_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
}).safeParse(Deno.env.toObject());
if (!limits.success) {
  console.error(`Invalid function configuration: ${limits.error.issues.map((i) => String(i.path[0])).join(", ")}`);
  Deno.exit(78);
}

// Supabase's edge runtime keeps background work alive with EdgeRuntime.waitUntil.
const edge = (globalThis as { EdgeRuntime?: { waitUntil?: (p: Promise<unknown>) => void } }).EdgeRuntime;

export const app = createAdminApp({
  http: config.http,
  verifier,
  audit,
  db,
  vault: PiiVault.create(keyDb, config.crypto),
  rateLimiter: createDbRateLimiter(db),
  idempotency: createDbIdempotencyStore(db),
  revealLimit: { limit: limits.data.KAZI_REVEAL_RATE_LIMIT, windowSeconds: limits.data.KAZI_REVEAL_RATE_WINDOW_SECONDS },
  runInBackground: (work) => edge?.waitUntil?.(work),
});
