// Boot: parse the environment (fail at start when it is wrong), open the
// pool, build the verifier, the PII vault (masking only) and the
// idempotency store.
import { boot } from "../_shared/boot.ts";
import { PiiVault } from "../_shared/crypto/pii-vault.ts";
import { createDbIdempotencyStore } from "../_shared/idempotency.ts";
import { createSupportApp } from "./create-app.ts";

const { config, db, keyDb, verifier, audit } = boot(["auth", "crypto"]);

export const app = createSupportApp({
  http: config.http,
  verifier,
  audit,
  db,
  vault: PiiVault.create(keyDb, config.crypto),
  idempotency: createDbIdempotencyStore(db),
});
