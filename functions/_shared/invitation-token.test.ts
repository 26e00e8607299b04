import assert from "node:assert/strict";
import { hashInvitationToken, invitationTokenSchema, newInvitationToken } from "./invitation-token.ts";

Deno.test("invitation tokens are 43 base64url characters, unique, and valid input", () => {
  const a = newInvitationToken();
  const b = newInvitationToken();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(invitationTokenSchema.safeParse(a).success, true);
  assert.equal(invitationTokenSchema.safeParse("short").success, false);
  assert.equal(invitationTokenSchema.safeParse("x".repeat(20) + "'; drop table x").success, false);
});

Deno.test("the stored hash is sha256 of the token's UTF-8 bytes", async () => {
  const hash = await hashInvitationToken("abc");
  assert.equal(hash.length, 32);
  assert.equal(
    Array.from(hash, (x) => x.toString(16).padStart(2, "0")).join(""),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
