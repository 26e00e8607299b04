import assert from "node:assert/strict";
import {
  encodeRequest,
  highestUnder,
  HttpConnection,
  httpOpenLoop,
  offeredRates,
  openLoop,
  type OpenLoopPoint,
  openLoopSummaryRow,
  parseResponse,
} from "./open-loop.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("offeredRates: whole req/s at each fraction of the saturated throughput, at least 1", () => {
  assert.deepEqual(offeredRates(123.4, [0.25, 0.5, 0.75]), [31, 62, 93]);
  assert.deepEqual(offeredRates(2, [0.1]), [1]);
});

const point = (rate: number, fraction: number, p99: number, extra: Partial<OpenLoopPoint> = {}): OpenLoopPoint => ({
  rate, fraction, achievedRps: rate, p50: p99 / 3, p99, failures: 0, unfinished: 0, ...extra,
});

Deno.test("highestUnder: the highest offered rate with p99 under the limit and every request answered, no gaps below", () => {
  const pts = [point(31, 0.25, 40), point(62, 0.5, 90), point(93, 0.75, 400)];
  assert.equal(highestUnder(pts, 100)?.rate, 62);
  assert.equal(highestUnder([...pts].reverse(), 100)?.rate, 62, "order does not matter");
  assert.equal(highestUnder(pts, 30), undefined);
  assert.equal(highestUnder([point(31, 0.25, 40), point(62, 0.5, 90, { failures: 1 })], 100)?.rate, 31, "a failure disqualifies");
  assert.equal(highestUnder([point(31, 0.25, 40), point(62, 0.5, 90, { unfinished: 3 })], 100)?.rate, 31, "so does an unanswered request");
  assert.equal(highestUnder([point(31, 0.25, NaN)], 100), undefined, "no latencies, no claim");
  assert.equal(highestUnder([point(93, 0.75, 60), point(31, 0.25, 40), point(62, 0.5, 140)], 100)?.rate, 31, "a lucky higher rate past a miss does not count");
  assert.equal(highestUnder([point(31, 0.25, 140), point(62, 0.5, 60)], 100), undefined);
  assert.equal(highestUnder([point(31, 0.25, 100)], 100), undefined, "strictly under");
});

Deno.test("openLoopSummaryRow states the offered rate, connections and share of saturation", () => {
  const opts = { connections: 50, saturatedRps: 123.4, limitMs: 100 };
  const row = openLoopSummaryRow("save onboarding details: API", [point(31, 0.25, 40), point(62, 0.5, 87.4), point(93, 0.75, 400)], opts);
  assert.deepEqual(row, {
    measure: "save onboarding details: API p99 at 62 req/s offered over 50 connections (50% of saturation, 123 req/s), the highest offered rate under 100 ms",
    value: "87 ms (p50 29 ms, 62 req/s achieved)",
    target: "< 100 ms",
    met: true,
  });
  const none = openLoopSummaryRow("save", [point(93, 0.75, 400), point(31, 0.25, 140)], opts);
  assert.equal(none.met, false);
  assert.equal(none.measure, "save p99 at 31 req/s offered over 50 connections (25% of saturation, 123 req/s), the lowest offered rate tried (25%, 75% of saturation): not under 100 ms");
  assert.equal(none.value, "140 ms (p50 47 ms, 31 req/s achieved)");
  assert.equal(openLoopSummaryRow("save", [], opts).met, false);
});

Deno.test("encodeRequest: Host, the spec's headers, Content-Length in bytes; caller's Host/Content-Length/Connection dropped", () => {
  const req = text(encodeRequest({
    method: "PUT", path: "/x?y=1", body: JSON.stringify({ name: "Müller" }),
    headers: { authorization: "Bearer t", "Content-Length": "1", Connection: "close", Host: "evil" },
  }, "127.0.0.1:8000"));
  assert.equal(req, 'PUT /x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:8000\r\nauthorization: Bearer t\r\ncontent-length: 18\r\n\r\n{"name":"Müller"}');
  assert.equal(text(encodeRequest({ method: "GET", path: "/", headers: {} }, "h:1")), "GET / HTTP/1.1\r\nhost: h:1\r\n\r\n");
});

Deno.test("parseResponse: Content-Length, partial input, back-to-back responses, Connection: close", () => {
  const one = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
  assert.deepEqual(parseResponse(bytes(one)), { status: 200, length: one.length, close: false });
  assert.equal(parseResponse(bytes(one.slice(0, 20))), null, "head incomplete");
  assert.equal(parseResponse(bytes(one.slice(0, -1))), null, "body incomplete");
  assert.deepEqual(parseResponse(bytes(one + "HTTP/1.1 404 Not Found\r\n")), { status: 200, length: one.length, close: false });
  assert.equal(parseResponse(bytes("HTTP/1.1 429 Too Many\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"))?.close, true);
  assert.equal(parseResponse(bytes("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"))?.close, true, "HTTP/1.0 closes by default");
  assert.deepEqual(parseResponse(bytes("HTTP/1.1 204 No Content\r\n\r\n")), { status: 204, length: 27, close: false });
  assert.throws(() => parseResponse(bytes("HTTP/1.1 200 OK\r\n\r\nrest")), /without Content-Length/);
  assert.throws(() => parseResponse(bytes("SSH-2.0-x\r\n\r\n")), /not an HTTP/);
});

Deno.test("parseResponse: chunked bodies with extensions and trailers", () => {
  const chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
  assert.deepEqual(parseResponse(bytes(chunked + "HTTP/1.1")), { status: 200, length: chunked.length, close: false });
  for (const cut of [50, 60, chunked.length - 3, chunked.length - 1]) assert.equal(parseResponse(bytes(chunked.slice(0, cut))), null, `cut at ${cut}`);
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

Deno.test("openLoop: offers rate × seconds requests, spaced, and counts failures", async () => {
  const sentAt: number[] = [];
  const w = await openLoop({
    rate: 100, seconds: 0.5, slots: 4,
    op: async (i) => {
      sentAt.push(performance.now());
      await sleep(2);
      if (i === 7) throw new Error("boom");
    },
  });
  assert.equal(w.scheduled, 50);
  assert.equal(w.requests, 49);
  assert.equal(w.failures, 1);
  assert.equal(w.unfinished, 0);
  const span = sentAt[sentAt.length - 1] - sentAt[0];
  assert.ok(span > 400 && span < 1500, `49 intervals of 10 ms, not one burst (spanned ${span.toFixed(0)} ms)`);
  assert.ok(w.requests / w.seconds > 40 && w.requests / w.seconds < 130, `achieved ${(w.requests / w.seconds).toFixed(0)} req/s`);
});

Deno.test("openLoop: latency counts the wait for a busy connection (no coordinated omission)", async () => {
  // One connection, 20 ms per request, 100 requests/s offered: the backlog grows,
  // so latency from the due time keeps growing while the service time does not.
  const w = await openLoop({ rate: 100, seconds: 0.3, slots: 1, op: () => sleep(20) });
  assert.equal(w.requests, 30);
  const maxService = Math.max(...w.serviceMs), maxLatency = Math.max(...w.latenciesMs);
  assert.ok(maxLatency > 200, `the last request waited behind the backlog (${maxLatency.toFixed(0)} ms)`);
  assert.ok(maxService < maxLatency / 3, `service ${maxService.toFixed(0)} ms vs latency ${maxLatency.toFixed(0)} ms`);
  assert.ok(w.maxBacklog > 5);
});

Deno.test("openLoop: past the drain limit, unanswered requests are reported, not waited for", async () => {
  const w = await openLoop({ rate: 50, seconds: 0.1, slots: 1, drainSeconds: 0.05, op: () => sleep(60) });
  assert.equal(w.scheduled, 5);
  assert.ok(w.unfinished >= 3, `unfinished ${w.unfinished}`);
  assert.equal(w.requests + w.failures + w.unfinished, w.scheduled);
  await sleep(100); // let the last in-flight timer finish
});

Deno.test("HttpConnection and httpOpenLoop against a local server: keep-alive reuse, bodies, statuses", async () => {
  const ac = new AbortController();
  const peers = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} }, async (req, info) => {
    peers.add(`${info.remoteAddr.hostname}:${info.remoteAddr.port}`);
    const url = new URL(req.url);
    if (url.pathname === "/echo") return Response.json({ got: await req.text() });
    if (url.pathname === "/stream") {
      return new Response(new ReadableStream({ start(c) { c.enqueue(bytes("a".repeat(70_000))); c.enqueue(bytes("b")); c.close(); } }));
    }
    return new Response("nope", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const c = HttpConnection.fromUrl(base);
    assert.equal(await c.request(encodeRequest({ method: "PUT", path: "/echo", headers: {}, body: "x".repeat(100_000) }, c.host)), 200);
    assert.equal(await c.request(encodeRequest({ method: "GET", path: "/stream", headers: {} }, c.host)), 200);
    assert.equal(await c.request(encodeRequest({ method: "GET", path: "/missing", headers: {} }, c.host)), 404);
    c.close();
    assert.equal(peers.size, 1, "three requests, one connection");

    peers.clear();
    const w = await httpOpenLoop(base, {
      connections: 3, seconds: 0.3, rate: 100, okStatus: 200,
      next: (i) => ({ method: "PUT", path: i === 5 ? "/missing" : "/echo", headers: { "content-type": "text/plain" }, body: `r${i}` }),
    });
    assert.equal(w.scheduled, 30);
    assert.equal(w.requests, 29);
    assert.equal(w.failures, 1);
    assert.ok(peers.size <= 3, `at most 3 sockets (${peers.size})`);
  } finally {
    ac.abort();
    await server.finished;
  }
});
