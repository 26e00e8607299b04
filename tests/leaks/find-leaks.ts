// Searches text for secret values. Needles carry a label, which is all a
// failing test prints: a leak report must not leak the value again.

export interface Needle { label: string; value: string }

/** Values this short would match by chance; they are not searched for. */
export const MIN_NEEDLE_LENGTH = 6;

export function findLeaks(haystack: string, needles: readonly Needle[]): string[] {
  const found = new Set<string>();
  for (const { label, value } of needles) {
    if (value.length >= MIN_NEEDLE_LENGTH && haystack.includes(value)) found.add(label);
  }
  return [...found];
}

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

/** A bearer token anywhere in the text. */
export function containsJwt(text: string): boolean {
  return JWT.test(text);
}

export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
