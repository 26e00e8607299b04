import assert from "node:assert/strict";
import { base64, containsJwt, findLeaks, hex } from "./find-leaks.ts";

Deno.test("the leak finder reports a planted value by its label only", () => {
  const needles = [{ label: "kra_pin of row 1", value: "A123456789Z" }, { label: "short", value: "A1" }];
  assert.deepEqual(findLeaks('{"note":"pin A123456789Z"}', needles), ["kra_pin of row 1"]);
  assert.deepEqual(findLeaks('{"note":"A1 is too short to count"}', needles), []);
});

Deno.test("bytes are searched in the forms Postgres and JSON print them", () => {
  const bytes = new Uint8Array([1, 0, 0, 0, 7, 255, 16]);
  assert.equal(hex(bytes), "01000000 07ff10".replace(" ", ""));
  assert.equal(base64(bytes), "AQAAAAf/EA==");
});

Deno.test("a JWT is recognised, ordinary dotted text is not", () => {
  assert.equal(containsJwt("Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLWJ5dGVz"), true);
  assert.equal(containsJwt("functions: listening on http://127.0.0.1:5/functions/v1"), false);
});
