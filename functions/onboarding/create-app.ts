// The onboarding function: accept an invitation, fill and submit my case,
// see my own PII; HR lists, reads, approves and rejects cases.
// Dependencies are injected (app.ts at boot, tests directly).

import type { AuditSink } from "../_shared/audit.ts";
import type { TokenVerifier } from "../_shared/auth.ts";
import type { HttpConfig } from "../_shared/config.ts";
import type { PiiVault } from "../_shared/crypto/pii-vault.ts";
import type { Db } from "../_shared/db.ts";
import { createFunctionApp, type FunctionApp } from "../_shared/function-app.ts";
import type { IdempotencyStore } from "../_shared/idempotency.ts";
import { invitationRoutes } from "./routes/invitations.ts";
import { myCaseRoutes } from "./routes/my-cases.ts";
import { reviewRoutes } from "./routes/review.ts";

export interface OnboardingDeps {
  http: HttpConfig;
  verifier?: TokenVerifier;
  audit: AuditSink;
  db: Db;
  vault: PiiVault;
  idempotency: IdempotencyStore;
}

export function createOnboardingApp(deps: OnboardingDeps): FunctionApp {
  const app = createFunctionApp("onboarding", {
    http: deps.http,
    verifier: deps.verifier,
    audit: deps.audit,
    description: "Onboarding flow: invitations, the new hire's case and details, HR review.",
  });
  const routeDeps = { db: deps.db, vault: deps.vault, audit: deps.audit, idempotency: deps.idempotency };
  app.route("/", invitationRoutes(routeDeps));
  app.route("/", myCaseRoutes(routeDeps));
  app.route("/", reviewRoutes(routeDeps));
  return app;
}
