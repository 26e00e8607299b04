import assert from "node:assert/strict";
import { summaryLine } from "./bench-summary.ts";
import { README_END, README_START, readmeWithResults, resultsMarkdown, splitSummary } from "./results-markdown.ts";
import { openLoopSummaryRow } from "./open-loop.ts";

Deno.test("splitSummary takes the BENCH_SUMMARY line out of the output and parses it", () => {
  const rows = [{ measure: "list | API/SQL", value: "0.7×", target: "≥ 0.5×", met: true }];
  const { body, rows: parsed } = splitSummary(`| a | b |\n${summaryLine(rows)}\ntrailer\n`);
  assert.deepEqual(parsed, rows);
  assert.equal(body, "| a | b |\ntrailer");
});

Deno.test("splitSummary keeps a malformed summary line visible and reports no rows", () => {
  const { body, rows } = splitSummary("BENCH_SUMMARY {not json\nrest");
  assert.equal(rows, null);
  assert.equal(body, "BENCH_SUMMARY {not json\nrest");
});

Deno.test("resultsMarkdown: one summary table first (pipes escaped), failures and missing summaries named, then each output", () => {
  const md = resultsMarkdown([
    { file: "api.bench.ts", code: 0, seconds: 90, body: "API OUTPUT", rows: [
      { measure: "list | API/SQL", value: "0.7×", target: "≥ 0.5×", met: true },
      { measure: "save p99", value: "120 ms", target: "< 100 ms", met: false },
      { measure: "reveal", value: "0.6×", target: "info", met: null },
    ] },
    { file: "audit.bench.ts", code: 1, seconds: 5, body: "boom", rows: null },
    { file: "rls.bench.ts", code: 0, seconds: 5, body: "RLS OUTPUT", rows: null },
  ], new Date("2026-11-27T00:00:00Z"));
  const lines = md.split("\n");
  const table = lines.filter((l) => l.startsWith("| "));
  assert.deepEqual(table.slice(1), [
    "| api | list \\| API/SQL | 0.7× | ≥ 0.5× | yes |",
    "| api | save p99 | 120 ms | < 100 ms | **no** |",
    "| api | reveal | 0.6× | info | — |",
    "| audit | (bench failed, exit 1: see its output below) | | | **no** |",
    "| rls | (no summary printed: see its output below) | | | |",
  ]);
  assert.ok(md.indexOf("| api |") < md.indexOf("## api.bench.ts"));
  assert.match(md, /## audit\.bench\.ts\n\n\(5 s, exit code 1\)\n\nboom/);
  assert.match(md, /2026-11-27/);
});

Deno.test("resultsMarkdown: the open-loop save row sits next to the saturated one, each with its own verdict", () => {
  const point = (rate: number, fraction: number, p99: number) => ({ rate, fraction, achievedRps: rate, p50: 15, p99, failures: 0, unfinished: 0 });
  const rows = [
    { measure: "save onboarding details: API p99, saturated (closed loop, 50 connections always busy)", value: "533 ms", target: "< 100 ms", met: false },
    openLoopSummaryRow("save onboarding details: API", [point(32, 0.25, 43), point(64, 0.5, 247)], { connections: 50, saturatedRps: 128, limitMs: 100 }),
  ];
  const md = resultsMarkdown([{ file: "api.bench.ts", code: 0, seconds: 1, ...splitSummary(summaryLine(rows)) }], new Date(0));
  const table = md.split("\n").filter((l) => l.startsWith("| api |"));
  assert.deepEqual(table, [
    "| api | save onboarding details: API p99, saturated (closed loop, 50 connections always busy) | 533 ms | < 100 ms | **no** |",
    "| api | save onboarding details: API p99 at 32 req/s offered over 50 connections (25% of saturation, 128 req/s), the highest offered rate under 100 ms | 43 ms (p50 15 ms, 32 req/s achieved) | < 100 ms | yes |",
  ]);
});

Deno.test("readmeWithResults replaces only the marked section with the summary table, and refuses a README without it", () => {
  const results = [{ file: "rls.bench.ts", code: 0, seconds: 5, body: "", rows: [{ measure: "list", value: "1.1×", target: "≤ 1.2×", met: true }] }];
  const when = new Date("2026-11-27T00:00:00Z");
  const readme = `# Kazi\n\n## Benchmarks\n${README_START}\nold table\n${README_END}\n\n## Next\n`;
  const out = readmeWithResults(readme, results, when);
  assert.ok(out.startsWith("# Kazi\n\n## Benchmarks\n"));
  assert.ok(out.endsWith(`${README_END}\n\n## Next\n`));
  assert.ok(!out.includes("old table"));
  assert.ok(out.includes("| rls | list | 1.1× | ≤ 1.2× | yes |"));
  assert.ok(out.includes("2026-11-27"));
  assert.equal(readmeWithResults(out, results, when), out, "idempotent");
  assert.throws(() => readmeWithResults("# no markers\n", results, when), /bench-results:start/);
});
