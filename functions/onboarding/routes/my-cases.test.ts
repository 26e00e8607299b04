import assert from "node:assert/strict";
import type { PiiVault } from "../../_shared/crypto/pii-vault.ts";
import { PII_FIELDS } from "../../_shared/pii/fields.ts";
import { sealedChanges } from "./my-cases.ts";

// A vault whose encryptions finish in the reverse of the order they started:
// the last field's first.
function reverseOrderVault(): PiiVault {
  let started = 0;
  return {
    sealOnly({ field }: { field: string }) {
      const delay = (PII_FIELDS.length - started++) * 5;
      return new Promise((resolve) =>
        setTimeout(() => resolve({ ciphertext: new TextEncoder().encode(`sealed:${field}`), keyVersion: 1, masked: "" }), delay)
      );
    },
  } as unknown as PiiVault;
}

const place = { tenantId: "00000000-0000-4000-8000-000000000001", caseId: "00000000-0000-4000-8000-000000000002" };

Deno.test("sealedChanges: columns in field order whatever order the encryptions finish in", async () => {
  const body = { first_name: "Amina", kra_pin: "A123456789Z", national_id: "20000001", phone: "+254712345678", bank_account: "1000000001" };
  const changes = await sealedChanges(reverseOrderVault(), body, place);
  assert.deepEqual(Object.keys(changes), ["first_name", ...PII_FIELDS.map((f) => `${f}_ciphertext`)]);
  assert.equal(new TextDecoder().decode(changes.phone_ciphertext as Uint8Array), "sealed:phone");
});

Deno.test("sealedChanges: null clears a protected field, an omitted one is left out", async () => {
  const changes = await sealedChanges(reverseOrderVault(), { phone: null, bank_account: "1000000001" }, place);
  assert.deepEqual(Object.keys(changes), ["phone_ciphertext", "bank_account_ciphertext"]);
  assert.equal(changes.phone_ciphertext, null);
});
