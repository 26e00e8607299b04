/**
 * National ID and bank account number: digits only. Spaces and dashes typed
 * by humans are removed; anything else is rejected. Bank and branch codes are
 * not secret and live in plain columns (see bankCodeSchema / branchCodeSchema).
 */
import { z } from "zod";

/** Removes spaces and dashes. Idempotent. */
export function normaliseDigits(input: string): string {
  return input.normalize("NFKC").replace(/[\s-]/g, "");
}

export interface DigitsLength {
  min: number;
  max: number;
}

/** Kenyan national ID numbers are 7–8 digits today; configurable for other documents. */
export const NATIONAL_ID_LENGTH: DigitsLength = { min: 7, max: 8 };
export const BANK_ACCOUNT_LENGTH: DigitsLength = { min: 6, max: 20 };

export function digitsSchema(label: string, len: DigitsLength) {
  const re = new RegExp(`^\\d{${len.min},${len.max}}$`);
  return z
    .string()
    .max(64)
    .transform(normaliseDigits)
    .refine((s) => re.test(s), { message: `${label} must be ${len.min}–${len.max} digits` });
}

export const nationalIdSchema = digitsSchema("national ID", NATIONAL_ID_LENGTH);
export const bankAccountSchema = digitsSchema("bank account", BANK_ACCOUNT_LENGTH);
export const bankCodeSchema = z.string().trim().regex(/^\d{2,3}$/, "bank code must be 2–3 digits");
export const branchCodeSchema = z.string().trim().regex(/^\d{3}$/, "branch code must be 3 digits");

/** `12345678` → `****5678`: last 4 only, always four stars (length is not revealed). */
export function maskDigits(normalised: string): string {
  return "****" + normalised.slice(-4);
}
