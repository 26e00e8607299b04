/**
 * The four protected fields, decided once: how each is validated and
 * normalised (the value that is encrypted and blind-indexed) and how it is
 * masked for lists. Shared by the APIs and the PII vault.
 */
import { z } from "zod";
import { bankAccountSchema, maskDigits, nationalIdSchema } from "./digits.ts";
import { kraPinSchema, maskKraPin } from "./kra-pin.ts";
import { maskPhone, phoneSchema } from "./phone.ts";

export const PII_FIELDS = ["kra_pin", "national_id", "phone", "bank_account"] as const;
export type PiiField = (typeof PII_FIELDS)[number];
export const piiFieldSchema = z.enum(PII_FIELDS);

export interface FieldSpec {
  /** Parses raw input to the normalised form, with a human message on failure. */
  schema: z.ZodType<string, string>;
  mask: (normalised: string) => string;
}

export const FIELD_SPECS: Record<PiiField, FieldSpec> = {
  kra_pin: { schema: kraPinSchema, mask: maskKraPin },
  national_id: { schema: nationalIdSchema, mask: maskDigits },
  phone: { schema: phoneSchema, mask: maskPhone },
  bank_account: { schema: bankAccountSchema, mask: maskDigits },
};

/** Normalises a value or throws the zod error (callers render it as a 400). */
export function normaliseField(field: PiiField, value: string): string {
  return FIELD_SPECS[field].schema.parse(value);
}

export function maskField(field: PiiField, normalised: string): string {
  return FIELD_SPECS[field].mask(normalised);
}

// One string per column (lists look columns up 200 times a page).
const CIPHERTEXT_COLUMNS = Object.fromEntries(PII_FIELDS.map((f) => [f, `${f}_ciphertext`])) as Record<PiiField, string>;

/** Column names of a field in public.employees / public.onboarding_cases. */
export function ciphertextColumn(field: PiiField): string {
  return CIPHERTEXT_COLUMNS[field];
}
export function blindIndexColumn(field: PiiField): string {
  return `${field}_blind_index`;
}
