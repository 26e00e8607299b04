// What lists show of a row's protected fields: each present value decrypted
// in memory and masked; the plaintext never leaves this function. A value
// that cannot be read (tampered, or its key shredded) is reported as
// unavailable rather than failing the whole list.
import { isCryptoError } from "./crypto/errors.ts";
import type { PiiVault } from "./crypto/pii-vault.ts";
import { PII_FIELDS, type PiiField } from "./pii/fields.ts";

export type PiiCiphertexts = { [F in PiiField as `${F}_ciphertext`]: Uint8Array | null };

export interface MaskedRow {
  masked: Record<PiiField, string | null>;
  /** Fields holding a value that could not be decrypted, sorted. */
  unavailable: PiiField[];
}

export async function maskRow(
  vault: PiiVault,
  place: { tenantId: string; table: string; rowId: string },
  row: PiiCiphertexts,
): Promise<MaskedRow> {
  const masked: Record<PiiField, string | null> = { kra_pin: null, national_id: null, phone: null, bank_account: null };
  const unavailable: PiiField[] = [];
  await Promise.all(PII_FIELDS.map(async (field) => {
    const ciphertext = row[`${field}_ciphertext`];
    if (!ciphertext) return;
    try {
      masked[field] = await vault.maskedField({ ...place, field, ciphertext: new Uint8Array(ciphertext) });
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      unavailable.push(field);
    }
  }));
  return { masked, unavailable: unavailable.sort() };
}
