// The one machine-readable line a bench prints for `npm run bench`'s summary
// table in bench/results.md (scripts/bench.ts collects it and leaves it out
// of the bench's printed section):
//   BENCH_SUMMARY {"rows":[{"measure":"…","value":"…","target":"…","met":true}]}
// `met` is null for numbers reported without a target.
export interface SummaryRow {
  measure: string;
  value: string;
  target: string;
  met: boolean | null;
}

export const SUMMARY_PREFIX = "BENCH_SUMMARY ";

export function summaryLine(rows: SummaryRow[]): string {
  return SUMMARY_PREFIX + JSON.stringify({ rows });
}
