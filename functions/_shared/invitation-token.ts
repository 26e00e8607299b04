// Invitation tokens: 32 random bytes, base64url (43 characters). The token is
// shown once (in the invitation link); the database keeps only
// sha256(UTF-8 bytes of the token) in public.invitations.token_hash.
// The admin API makes tokens with newInvitationToken(); the onboarding API
// hashes what the invitee presents with hashInvitationToken().

import { z } from "zod";

/** What an invitee may present: base64url/hex-like, 16–256 characters. */
export const invitationTokenSchema = z
  .string()
  .min(16, "Invalid invitation token")
  .max(256, "Invalid invitation token")
  .regex(/^[A-Za-z0-9_-]+$/, "Invalid invitation token");

export function newInvitationToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** sha256 of the token's UTF-8 bytes: the value stored in invitations.token_hash. */
export async function hashInvitationToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}
