// Two closed-loop load generators that measure the same way, so their numbers
// can be divided: N concurrent "connections", each issuing its next request
// as soon as the previous one answered, for a fixed time; every latency is
// kept (client side, milliseconds) and the percentiles come from all of them.
//   - httpLoad: autocannon (keep-alive HTTP/1.1 sockets on loopback);
//   - inProcessLoad: N async workers calling a function (the direct-SQL side).
// Open-loop load at a fixed offered rate is in open-loop.ts.
import autocannon from "autocannon";

export interface Window {
  requests: number;
  failures: number;
  seconds: number;
  latenciesMs: number[];
}

export interface HttpRequestSpec {
  method: "GET" | "POST" | "PUT";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * autocannon against `baseUrl` for `seconds`; `next(i)` gives the i-th request
 * (round-robin over users, rows...). A response other than `okStatus` counts
 * as a failure (and its latency is not kept). With `overallRate`, autocannon's
 * own rate limit (bursty, latency from the actual send: see open-loop.ts);
 * latencies come from its `response` events, before its own correction.
 */
export async function httpLoad(
  baseUrl: string,
  opts: { connections: number; seconds: number; okStatus: number; next: (i: number) => HttpRequestSpec; overallRate?: number },
): Promise<Window> {
  const origin = new URL(baseUrl).origin;
  let i = 0;
  const latenciesMs: number[] = [];
  let failures = 0;
  const started = performance.now();
  const instance = autocannon({
    url: origin,
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    requests: [{
      setupRequest: (req: Record<string, unknown>) => {
        const spec = opts.next(i++);
        return { ...req, method: spec.method, path: spec.path, headers: spec.headers, body: spec.body };
      },
    }],
  });
  instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === opts.okStatus) latenciesMs.push(ms);
    else failures++;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  failures += result.errors + result.timeouts;
  return { requests: latenciesMs.length, failures, seconds, latenciesMs };
}

/** `connections` async workers calling `op(i)` back to back for `seconds`. */
export async function inProcessLoad(
  opts: { connections: number; seconds: number; op: (i: number) => Promise<void> },
): Promise<Window> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let i = 0;
  let firstError: unknown;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  await Promise.all(Array.from({ length: opts.connections }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await opts.op(i++);
        latenciesMs.push(performance.now() - t0);
      } catch (err) {
        failures++;
        firstError ??= err;
      }
    }
  }));
  if (firstError) console.error(`direct side: ${failures} failures, first: ${String(firstError).slice(0, 200)}`);
  return { requests: latenciesMs.length, failures, seconds: (performance.now() - started) / 1000, latenciesMs };
}

export interface Stats {
  requests: number;
  failures: number;
  rps: number;
  p50: number;
  p99: number;
}

/** Pools windows of one side: throughput over their summed time, percentiles over all latencies. */
export function statsOf(windows: Window[]): Stats {
  const all = windows.flatMap((w) => w.latenciesMs).sort((a, b) => a - b);
  const seconds = windows.reduce((s, w) => s + w.seconds, 0);
  const requests = windows.reduce((s, w) => s + w.requests, 0);
  const pct = (p: number) => all.length ? all[Math.min(all.length - 1, Math.floor(all.length * p))] : NaN;
  return {
    requests,
    failures: windows.reduce((s, w) => s + w.failures, 0),
    rps: requests / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
  };
}
