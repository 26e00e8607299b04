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

export interface RowPlace {
  tenantId: string;
  table: string;
  rowId: string;
}

export async function maskRow(vault: PiiVault, place: RowPlace, row: PiiCiphertexts): Promise<MaskedRow> {
  const [masked] = await maskRows(vault, [{ place, row }]);
  return masked;
}

/** maskRow for a page: one vault call for every present field of every row. */
export async function maskRows(
  vault: PiiVault,
  rows: readonly { place: RowPlace; row: PiiCiphertexts }[],
): Promise<MaskedRow[]> {
  const refs: Parameters<PiiVault["maskedFields"]>[0][number][] = [];
  const owners: { at: number; field: PiiField }[] = [];
  for (let at = 0; at < rows.length; at++) {
    const { place, row } = rows[at];
    for (const field of PII_FIELDS) {
      // handed over as read (a Uint8Array the vault only reads)
      const ciphertext = row[`${field}_ciphertext`];
      if (!ciphertext) continue;
      refs.push({ tenantId: place.tenantId, table: place.table, rowId: place.rowId, field, ciphertext });
      owners.push({ at, field });
    }
  }
  const results = await vault.maskedFields(refs);
  const out: MaskedRow[] = rows.map(() => ({
    masked: { kra_pin: null, national_id: null, phone: null, bank_account: null },
    unavailable: [],
  }));
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const { at, field } = owners[i];
    if (typeof r === "string") out[at].masked[field] = r;
    else if (isCryptoError(r)) out[at].unavailable.push(field);
    else throw r;
  }
  for (const m of out) m.unavailable.sort();
  return out;
}
