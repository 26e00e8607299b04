/**
 * Phone numbers, parsed with libphonenumber-js (full metadata, so the number
 * type is known): national Kenyan input is read with default country KE, and
 * every value is stored as E.164. Only numbers that are valid and can be
 * mobile are accepted (HR contact numbers must take SMS).
 */
import { z } from "zod";
// Full metadata: the default "min" build cannot tell mobile from fixed line.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

const E164_RE = /^\+[1-9]\d{6,14}$/;

/** Returns E.164 or null when the input is not a valid mobile number. Idempotent on its output. */
export function normalisePhone(input: string): string | null {
  if (input.length > 64) return null;
  const p = parsePhoneNumberFromString(input.normalize("NFKC"), "KE");
  if (!p || !p.isValid()) return null;
  const type = p.getType();
  if (type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") return null;
  return E164_RE.test(p.number) ? p.number : null;
}

export const phoneSchema = z.string().transform((s, ctx) => {
  const e164 = normalisePhone(s);
  if (e164 === null) {
    ctx.issues.push({
      code: "custom",
      message: "phone must be a valid mobile number, e.g. 0712345678 or +254712345678",
      input: s,
    });
    return z.NEVER;
  }
  return e164;
});

/** `+254712345678` → `+2547******78`: country code, first digit, last 2. */
export function maskPhone(e164: string): string {
  const keepHead = e164.startsWith("+254") ? 5 : Math.min(4, e164.length - 2);
  if (e164.length <= keepHead + 2) return "*".repeat(e164.length);
  return e164.slice(0, keepHead) + "*".repeat(e164.length - keepHead - 2) + e164.slice(-2);
}
