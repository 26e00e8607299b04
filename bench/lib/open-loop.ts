// Open-loop load at a fixed offered rate, the complement of load.ts's
// closed loop (where N connections are always busy, so mean latency is
// N / throughput by Little's law and says nothing about latency under a load
// the server can carry).
//
// Request k is due at start + k / rate, evenly spaced, whatever the server
// does. A due request goes out on an idle connection (one request at a time
// per connection, keep-alive), or waits in a FIFO backlog until one frees up.
// Latency is measured from the due time, not from the actual send, so time
// spent waiting for a connection (or for this process's timer) counts: no
// coordinated omission. The time from the actual send is kept as well.
//
// Why not autocannon's overallRate / connectionRate: autocannon 8 splits the
// rate over the connections and lets each one send its whole per-second quota
// back to back, then pause until its own 1 s interval fires; the 50 intervals
// start together, so the load arrives as a burst at every second boundary
// (lib/httpClient.js `_doRequest`, lib/run.js `distributeNums`). It also
// times each request from its actual write, and its coordinated-omission
// correction records with an expected interval of Math.ceil(1 / rate) = 1 ms
// (per-second rate taken as milliseconds), which only its own histogram sees.
//
// The HTTP side uses HttpConnection: a minimal HTTP/1.1 client on one
// Deno TCP connection (Content-Length or chunked responses), so the number of
// sockets is exactly the number asked for.
import type { HttpRequestSpec, Window } from "./load.ts";

export interface OpenLoopWindow extends Window {
  /** Requests scheduled (rate × seconds). */
  scheduled: number;
  /** Scheduled requests still unanswered when the drain limit ran out. */
  unfinished: number;
  /** Milliseconds from the actual send (what a closed-loop tool reports). */
  serviceMs: number[];
  /** Largest number of due requests waiting for a free connection. */
  maxBacklog: number;
}

/**
 * Offers `rate` requests a second for `seconds` over `slots` concurrent
 * connections/workers; `op(i, slot)` performs request i on connection `slot`
 * and rejects on failure. Waits up to `drainSeconds` after the last due time
 * for the answers; `seconds` of the result runs from the first due time to
 * the last answer, so requests / seconds is the achieved rate.
 */
export async function openLoop(opts: {
  rate: number;
  seconds: number;
  slots: number;
  op: (i: number, slot: number) => Promise<void>;
  drainSeconds?: number;
}): Promise<OpenLoopWindow> {
  const interval = 1000 / opts.rate;
  const scheduled = Math.max(1, Math.floor(opts.rate * opts.seconds));
  const free = Array.from({ length: opts.slots }, (_, s) => opts.slots - 1 - s);
  const backlog: number[] = []; // request indexes, FIFO from `head`
  let head = 0;
  let due = 0; // requests released so far
  let settled = 0;
  let failures = 0;
  let maxBacklog = 0;
  let firstError: unknown;
  let lastAnswer = 0;
  let stopped = false; // past the drain limit: late answers are not counted, the backlog is dropped
  const latenciesMs: number[] = [];
  const serviceMs: number[] = [];
  let allSettled = () => {};
  const done = new Promise<void>((resolve) => (allSettled = resolve));
  const start = performance.now() + 5; // first due time, just ahead of the loop
  const dueAt = (i: number) => start + i * interval;

  const launch = (i: number, slot: number) => {
    const sent = performance.now();
    opts.op(i, slot).then(
      () => {
        if (stopped) return;
        const now = performance.now();
        latenciesMs.push(now - dueAt(i));
        serviceMs.push(now - sent);
        lastAnswer = now;
      },
      (err) => {
        if (stopped) return;
        failures++;
        firstError ??= err;
        lastAnswer = performance.now();
      },
    ).finally(() => {
      free.push(slot);
      if (++settled === scheduled) allSettled();
      pump();
    });
  };
  const pump = () => {
    while (!stopped && free.length && head < backlog.length) launch(backlog[head++], free.pop()!);
  };

  while (due < scheduled) {
    const now = performance.now();
    while (due < scheduled && dueAt(due) <= now) backlog.push(due++);
    maxBacklog = Math.max(maxBacklog, backlog.length - head);
    pump();
    if (due < scheduled) await new Promise((r) => setTimeout(r, Math.max(0, dueAt(due) - performance.now())));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, (opts.drainSeconds ?? 30) * 1000)))]);
  clearTimeout(timer);
  stopped = true;
  const unfinished = scheduled - settled;
  if (firstError) console.error(`open loop at ${opts.rate} req/s: ${failures} failures, first: ${String(firstError).slice(0, 200)}`);
  return {
    requests: latenciesMs.length,
    failures,
    seconds: (Math.max(lastAnswer, dueAt(scheduled - 1)) - start) / 1000,
    latenciesMs,
    scheduled,
    unfinished,
    serviceMs,
    maxBacklog,
  };
}

// ---- offered rates and the summary row (pure) ------------------------------------

/** Whole requests per second at each fraction of a measured saturated throughput (at least 1). */
export function offeredRates(saturatedRps: number, fractions: number[]): number[] {
  return fractions.map((f) => Math.max(1, Math.round(saturatedRps * f)));
}

export interface OpenLoopPoint {
  /** Offered requests per second. */
  rate: number;
  /** Fraction of the saturated (closed-loop) throughput the rate was derived from. */
  fraction: number;
  achievedRps: number;
  p50: number;
  p99: number;
  failures: number;
  unfinished: number;
}

/**
 * The highest offered rate whose p99 is under `limitMs` with every scheduled
 * request answered successfully, and every lower rate tried as well (on a
 * noisy machine a lucky higher rate does not count past a failed lower one);
 * undefined when the lowest rate already misses.
 */
export function highestUnder(points: OpenLoopPoint[], limitMs: number): OpenLoopPoint | undefined {
  const ok = (p: OpenLoopPoint) => p.failures === 0 && p.unfinished === 0 && Number.isFinite(p.p99) && p.p99 < limitMs;
  let best: OpenLoopPoint | undefined;
  for (const p of [...points].sort((a, b) => a.rate - b.rate)) {
    if (!ok(p)) break;
    best = p;
  }
  return best;
}

const pct = (f: number) => `${Math.round(f * 100)}%`;
const msText = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));

/**
 * BENCH_SUMMARY row for the save request under open-loop load: the p99 at the
 * highest offered rate that stays under the limit (highestUnder), the offered
 * rate stated in the measure; `met` false, with the lowest rate's numbers,
 * when even that one misses.
 */
export function openLoopSummaryRow(
  what: string,
  points: OpenLoopPoint[],
  opts: { connections: number; saturatedRps: number; limitMs: number },
): { measure: string; value: string; target: string; met: boolean } {
  const target = `< ${opts.limitMs} ms`;
  const best = highestUnder(points, opts.limitMs);
  const shown = best ?? [...points].sort((a, b) => a.rate - b.rate)[0];
  if (!shown) return { measure: `${what} p99, open loop`, value: "not measured", target, met: false };
  const at = `${shown.rate} req/s offered over ${opts.connections} connections (${pct(shown.fraction)} of saturation, ${Math.round(opts.saturatedRps)} req/s)`;
  const value = `${msText(shown.p99)} ms (p50 ${msText(shown.p50)} ms, ${Math.round(shown.achievedRps)} req/s achieved)`;
  if (best) return { measure: `${what} p99 at ${at}, the highest offered rate under ${opts.limitMs} ms`, value, target, met: true };
  const tried = [...points].sort((a, b) => a.rate - b.rate).map((p) => pct(p.fraction)).join(", ");
  return { measure: `${what} p99 at ${at}, the lowest offered rate tried (${tried} of saturation): not under ${opts.limitMs} ms`, value, target, met: false };
}

// ---- HTTP/1.1 on one keep-alive connection -------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The request bytes: request line, Host, the spec's headers, Content-Length when there is a body. */
export function encodeRequest(spec: HttpRequestSpec, host: string): Uint8Array {
  const body = spec.body === undefined ? undefined : encoder.encode(spec.body);
  const lines = [`${spec.method} ${spec.path} HTTP/1.1`, `host: ${host}`];
  for (const [k, v] of Object.entries(spec.headers)) {
    if (!/^(host|content-length|connection)$/i.test(k)) lines.push(`${k}: ${v}`);
  }
  if (body) lines.push(`content-length: ${body.length}`);
  const head = encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
  if (!body) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

const indexOfCrlf = (buf: Uint8Array, from: number) => {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
};

/**
 * The first complete response in `buf`: its status, how many bytes it takes
 * and whether the server closes the connection after it; null when more bytes
 * are needed. Bodies: Content-Length or chunked (a close-delimited body is an
 * error: the client needs keep-alive).
 */
export function parseResponse(buf: Uint8Array): { status: number; length: number; close: boolean } | null {
  let headEnd = -1;
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
      headEnd = i;
      break;
    }
  }
  if (headEnd < 0) return null;
  const [statusLine, ...headerLines] = decoder.decode(buf.subarray(0, headEnd)).split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP/1.x response: ${statusLine.slice(0, 80)}`);
  const status = Number(m[2]);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const connection = headers.get("connection")?.toLowerCase() ?? "";
  const close = m[1] === "0" ? !connection.includes("keep-alive") : connection.includes("close");
  const bodyStart = headEnd + 4;
  if (status < 200 || status === 204 || status === 304) return { status, length: bodyStart, close };
  if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    let pos = bodyStart;
    for (;;) {
      const eol = indexOfCrlf(buf, pos);
      if (eol < 0) return null;
      const size = parseInt(decoder.decode(buf.subarray(pos, eol)).split(";")[0].trim(), 16);
      if (Number.isNaN(size)) throw new Error("malformed chunk size");
      pos = eol + 2;
      if (size === 0) {
        for (;;) { // trailers, up to an empty line
          const end = indexOfCrlf(buf, pos);
          if (end < 0) return null;
          if (end === pos) return { status, length: end + 2, close };
          pos = end + 2;
        }
      }
      if (buf.length < pos + size + 2) return null;
      pos += size + 2;
    }
  }
  const contentLength = headers.get("content-length");
  if (contentLength === undefined) throw new Error(`response ${status} without Content-Length or chunked encoding`);
  const length = bodyStart + Number(contentLength);
  return buf.length < length ? null : { status, length, close };
}

/** One keep-alive HTTP/1.1 connection, one request at a time; reconnects after a close or an error. */
export class HttpConnection {
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(0);
  #chunk = new Uint8Array(64 * 1024);
  readonly host: string;

  constructor(readonly hostname: string, readonly port: number) {
    this.host = `${hostname}:${port}`;
  }

  static fromUrl(url: string): HttpConnection {
    const u = new URL(url);
    if (u.protocol !== "http:") throw new Error(`HttpConnection speaks plain http only, not ${u.protocol}`);
    return new HttpConnection(u.hostname, Number(u.port || 80));
  }

  async open(): Promise<void> {
    if (this.#conn) return;
    this.#conn = await Deno.connect({ hostname: this.hostname, port: this.port });
    this.#conn.setNoDelay(true);
    this.#buf = new Uint8Array(0);
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = null;
  }

  /** Sends encoded request bytes and resolves with the response status. */
  async request(bytes: Uint8Array): Promise<number> {
    try {
      await this.open();
      const conn = this.#conn!;
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      for (;;) {
        const res = parseResponse(this.#buf);
        if (res) {
          this.#buf = this.#buf.slice(res.length);
          if (res.close) this.close();
          return res.status;
        }
        const n = await conn.read(this.#chunk);
        if (n === null) throw new Error("connection closed by the server mid-response");
        const grown = new Uint8Array(this.#buf.length + n);
        grown.set(this.#buf);
        grown.set(this.#chunk.subarray(0, n), this.#buf.length);
        this.#buf = grown;
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }
}

/**
 * Open-loop HTTP: `connections` keep-alive sockets to `baseUrl`'s origin,
 * opened before the clock starts; a response other than `okStatus` is a failure.
 */
export async function httpOpenLoop(
  baseUrl: string,
  opts: { connections: number; seconds: number; rate: number; okStatus: number; next: (i: number) => HttpRequestSpec },
): Promise<OpenLoopWindow> {
  const conns = Array.from({ length: opts.connections }, () => HttpConnection.fromUrl(new URL(baseUrl).origin));
  await Promise.all(conns.map((c) => c.open()));
  try {
    return await openLoop({
      rate: opts.rate,
      seconds: opts.seconds,
      slots: opts.connections,
      op: async (i, slot) => {
        const status = await conns[slot].request(encodeRequest(opts.next(i), conns[slot].host));
        if (status !== opts.okStatus) throw new Error(`HTTP ${status}`);
      },
    });
  } finally {
    for (const c of conns) c.close();
  }
}
