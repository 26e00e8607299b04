// Turns each runner's own report into passed/failed counts, so one closing
// line can total pgTAP, Deno and the Supabase linters.

export interface Tally { suite: string; passed: number; failed: number }

/** pg_prove -v prints every TAP line; a file that dies without `not ok` still fails. */
export function tallyTap(suite: string, output: string, exitCode: number): Tally {
  const passed = (output.match(/^\s*ok \d+/gm) ?? []).length;
  let failed = (output.match(/^\s*not ok \d+/gm) ?? []).length;
  if (exitCode !== 0 && failed === 0) failed = 1;
  return { suite, passed, failed };
}

/** Deno's summary: `ok | 12 passed (3 steps) | 0 failed (1s)`. */
export function tallyDeno(suite: string, output: string, exitCode: number): Tally {
  // deno colours its output; strip ANSI before matching.
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
  const passed = m ? Number(m[1]) : 0;
  let failed = m ? Number(m[2]) : 0;
  if (exitCode !== 0 && failed === 0) failed = 1;
  return { suite, passed, failed };
}

/** node --test with the TAP reporter ends with `# pass N` and `# fail N`. */
export function tallyNodeTest(suite: string, output: string, exitCode: number): Tally {
  const passed = Number(output.match(/^# pass (\d+)$/m)?.[1] ?? 0);
  let failed = Number(output.match(/^# fail (\d+)$/m)?.[1] ?? 0);
  if (exitCode !== 0 && failed === 0) failed = 1;
  return { suite, passed, failed };
}

/** A check that is a single pass/fail (a linter). */
export function tallyCheck(suite: string, exitCode: number): Tally {
  return { suite, passed: exitCode === 0 ? 1 : 0, failed: exitCode === 0 ? 0 : 1 };
}

export function total(tallies: Tally[]): { passed: number; failed: number } {
  return tallies.reduce((t, x) => ({ passed: t.passed + x.passed, failed: t.failed + x.failed }), { passed: 0, failed: 0 });
}
