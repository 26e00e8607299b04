// bench/results.md from the benches' outputs: one summary table of every
// bench's headline numbers (their BENCH_SUMMARY lines), then each bench's
// full output. A bench that printed no summary, or failed, says so in the
// table instead of disappearing from it.
import { SUMMARY_PREFIX, type SummaryRow } from "./bench-summary.ts";

export interface BenchResult {
  file: string;
  code: number;
  seconds: number;
  /** The bench's output without its BENCH_SUMMARY line. */
  body: string;
  rows: SummaryRow[] | null;
}

/** Takes the last BENCH_SUMMARY line out of a bench's output. */
export function splitSummary(output: string): { body: string; rows: SummaryRow[] | null } {
  let rows: SummaryRow[] | null = null;
  const kept: string[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith(SUMMARY_PREFIX)) {
      kept.push(line);
      continue;
    }
    try {
      const parsed = JSON.parse(line.slice(SUMMARY_PREFIX.length)) as { rows?: unknown };
      if (Array.isArray(parsed.rows)) rows = parsed.rows as SummaryRow[];
    } catch {
      kept.push(line); // not ours to hide: show it as printed
    }
  }
  return { body: kept.join("\n").trim(), rows };
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const metCell = (met: boolean | null) => (met === null ? "—" : met ? "yes" : "**no**");

/** The summary table: one row per BENCH_SUMMARY row of every bench, failures and missing summaries named. */
export function summaryTable(results: BenchResult[]): string[] {
  const lines = [
    "| bench | measure | result | target | met |",
    "|---|---|---|---|---|",
  ];
  for (const r of results) {
    const name = r.file.replace(/\.bench\.ts$/, "");
    if (r.code !== 0) lines.push(`| ${name} | (bench failed, exit ${r.code}: see its output below) | | | **no** |`);
    if (!r.rows?.length) {
      if (r.code === 0) lines.push(`| ${name} | (no summary printed: see its output below) | | | |`);
      continue;
    }
    for (const row of r.rows) {
      lines.push(`| ${name} | ${cell(row.measure)} | ${cell(row.value)} | ${cell(row.target)} | ${metCell(row.met)} |`);
    }
  }
  return lines;
}

const measuredOn = (when: Date) =>
  `Measured by \`npm run bench\` on ${when.toISOString().slice(0, 10)}; each bench on a fresh database, ratios of two measurements interleaved in the same run.`;

export function resultsMarkdown(results: BenchResult[], when: Date): string {
  const lines = ["# Benchmark results", "", measuredOn(when), "", ...summaryTable(results)];
  for (const r of results) {
    lines.push("", `## ${r.file}`, "", `(${r.seconds.toFixed(0)} s${r.code !== 0 ? `, exit code ${r.code}` : ""})`, "", r.body);
  }
  return `${lines.join("\n")}\n`;
}

export const README_START = "<!-- bench-results:start -->";
export const README_END = "<!-- bench-results:end -->";

/** The README with the text between its bench-results markers replaced by this run's summary table. */
export function readmeWithResults(readme: string, results: BenchResult[], when: Date): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section`);
  const section = ["", "", `${measuredOn(when)} Details per bench: [bench/results.md](bench/results.md).`, "", ...summaryTable(results), "", ""];
  return readme.slice(0, start + README_START.length) + section.join("\n") + readme.slice(end);
}
