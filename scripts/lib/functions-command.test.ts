import assert from "node:assert/strict";
import { instanceCount } from "./functions-command.ts";

Deno.test("instanceCount: KAZI_FUNCTIONS_INSTANCES when a positive integer, else one per CPU but one (at least one)", () => {
  assert.equal(instanceCount("3", 2), 3);
  assert.equal(instanceCount("1", 8), 1);
  for (const unusable of [undefined, "", "0", "-2", "1.5", "two"]) assert.equal(instanceCount(unusable, 4), 3, String(unusable));
  assert.equal(instanceCount(undefined, 2), 1);
  assert.equal(instanceCount(undefined, 1), 1);
  assert.equal(instanceCount(undefined, 0), 1);
});
