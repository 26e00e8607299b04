/** KRA PIN: `A` (individual) or `P` (non-individual), nine digits, a check letter. */
import { z } from "zod";

const KRA_PIN_RE = /^[AP]\d{9}[A-Z]$/;

/** Upper-cases and removes spaces/dashes. Idempotent. */
export function normaliseKraPin(input: string): string {
  return input.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
}

export function isKraPin(normalised: string): boolean {
  return KRA_PIN_RE.test(normalised);
}

export const kraPinSchema = z
  .string()
  .max(64)
  .transform(normaliseKraPin)
  .refine(isKraPin, { message: "KRA PIN must be A or P, nine digits, then a letter (e.g. A123456789B)" });

/** `A123456789B` → `A12******9B`: first 3 and last 2 characters. */
export function maskKraPin(normalised: string): string {
  if (normalised.length <= 5) return "*".repeat(normalised.length);
  return normalised.slice(0, 3) + "*".repeat(normalised.length - 5) + normalised.slice(-2);
}
