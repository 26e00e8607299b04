import assert from "node:assert/strict";
import { tallyCheck, tallyDeno, tallyNodeTest, tallyTap, total } from "./tally.ts";

Deno.test("pg_prove verbose output is counted line by line", () => {
  const out = "tests/db/10-x.sql ..\nok 1 - a\nnot ok 2 - b\n    ok 3 - c\nFailed 1/3 subtests\n";
  assert.deepEqual(tallyTap("pgTAP", out, 1), { suite: "pgTAP", passed: 2, failed: 1 });
});

Deno.test("a pgTAP file that dies without a `not ok` still counts as a failure", () => {
  assert.deepEqual(tallyTap("pgTAP", "ok 1 - a\nBad plan.\n", 1), { suite: "pgTAP", passed: 1, failed: 1 });
});

Deno.test("the last Deno summary line wins, steps are not tests, colours are ignored", () => {
  const out = "ok | 1 passed | 0 failed\n\x1b[31mFAILED\x1b[0m | 12 passed (3 steps) | 2 failed (4s)\n";
  assert.deepEqual(tallyDeno("deno", out, 1), { suite: "deno", passed: 12, failed: 2 });
});

Deno.test("deno failing before any test ran (a type error) is a failure", () => {
  assert.deepEqual(tallyDeno("deno", "error: TS2322 ...", 1), { suite: "deno", passed: 0, failed: 1 });
});

Deno.test("checks and totals", () => {
  const all = [tallyCheck("lint", 0), tallyCheck("advisors", 2), { suite: "x", passed: 5, failed: 0 }];
  assert.deepEqual(total(all), { passed: 6, failed: 1 });
});

Deno.test("node --test's TAP summary is counted, and a crash without one fails", () => {
  assert.deepEqual(tallyNodeTest("b", "ok 1 - x\n# tests 3\n# pass 2\n# fail 1\n", 1), { suite: "b", passed: 2, failed: 1 });
  assert.deepEqual(tallyNodeTest("b", "Error: cannot find module", 1), { suite: "b", passed: 0, failed: 1 });
});
