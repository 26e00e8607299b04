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
  // One promise per present field, straight from the vault (a page of 50 rows
  // is 200 of them, mostly mask-cache hits): no per-field closure or copy.
  // The ciphertext is handed over as read (a Uint8Array the vault only reads).
  const fields: PiiField[] = [];
  const pending: Promise<string>[] = [];
  for (const field of PII_FIELDS) {
    const ciphertext = row[`${field}_ciphertext`];
    if (!ciphertext) continue;
    fields.push(field);
    pending.push(vault.maskedField({ tenantId: place.tenantId, table: place.table, rowId: place.rowId, field, ciphertext }));
  }
  const results = await Promise.allSettled(pending);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.status === "fulfilled") masked[fields[i]] = r.value;
    else if (isCryptoError(r.reason)) unavailable.push(fields[i]);
    else throw r.reason;
  }
  return { masked, unavailable: unavailable.sort() };
}
