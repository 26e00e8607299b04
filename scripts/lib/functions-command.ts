// What the functions gateway (scripts/serve-functions.ts, Deno) and its
// launcher (functions-server.ts, Node: npm start, npm test, npm run bench and
// the tests that serve functions of their own) agree on.
// No Node or Deno imports: both sides use it.

/**
 * deno arguments, relative to the repository root. --unstable-net: the
 * gateway's instances each listen with reusePort (see serve-functions.ts).
 */
export const FUNCTIONS_SERVE_ARGS: readonly string[] = [
  "run", "--unstable-net", "--allow-net", "--allow-env", "--allow-read", "--allow-sys",
  "scripts/serve-functions.ts",
];

/** What the gateway prints once every instance listens. */
export const FUNCTIONS_READY = "functions: listening";

/**
 * How many instances serve: KAZI_FUNCTIONS_INSTANCES when a positive
 * integer, else one per CPU but one, left to the Postgres the functions talk
 * to (local here); at least one.
 */
export function instanceCount(setting: string | undefined, cpus: number): number {
  const n = Number(setting);
  return Number.isInteger(n) && n > 0 ? n : Math.max(1, cpus - 1);
}
