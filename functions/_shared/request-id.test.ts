import assert from "node:assert/strict";
import { acceptRequestId } from "./request-id.ts";
import { createFunctionApp } from "./function-app.ts";
import { errors } from "./errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("a sane incoming request id is kept; anything else is replaced", () => {
  assert.equal(acceptRequestId("trace-0123456789"), "trace-0123456789");
  assert.equal(acceptRequestId("01JD5Z5Q1W2E3R4T5Y6U7I8O9P"), "01JD5Z5Q1W2E3R4T5Y6U7I8O9P");
  for (
    const bad of [
      null,
      undefined,
      "",
      "short",
      "has space in it",
      "x".repeat(129),
      "<script>alert(1)</script>",
      "a\r\nset-cookie: x=1",
    ]
  ) {
    assert.match(acceptRequestId(bad), UUID, String(bad));
  }
});

function app() {
  const a = createFunctionApp("rid", {
    http: { allowedOrigins: [], bodyLimitBytes: 1024 },
    publicRoutes: [{ method: "*", path: "/:any" }],
  });
  a.get("/ok", (c) => c.json({ id: c.get("requestId") }));
  a.get("/fail", () => {
    throw errors.conflict();
  });
  a.get("/crash", () => {
    throw new Error("boom");
  });
  return a;
}

Deno.test("the request id is echoed on success, error, 404, 401 and crash responses", async () => {
  const a = app();
  const ok = await a.request("/rid/ok", { headers: { "x-request-id": "client-trace-42" } });
  assert.equal(ok.headers.get("x-request-id"), "client-trace-42");
  assert.deepEqual(await ok.json(), { id: "client-trace-42" });
  for (
    const [path, status] of [["/rid/fail", 409], ["/rid/crash", 500], ["/rid/x/y", 401], ["/rid/nothing", 404]] as const
  ) {
    const res = await a.request(path, { headers: { "x-request-id": "client-trace-43" } });
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get("x-request-id"), "client-trace-43", path);
    assert.equal((await res.json()).error.request_id, "client-trace-43", path);
  }
  const generated = await a.request("/rid/ok", { headers: { "x-request-id": "bad id" } });
  assert.match(generated.headers.get("x-request-id") ?? "", UUID);
});
