import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  AppError,
  createOnError,
  ERROR_STATUS,
  type ErrorCode,
  errors,
  fromPgError,
  isConnectionError,
  toAppError,
} from "./errors.ts";

function appThrowing(err: unknown, logs: unknown[] = []) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    c.set("requestId" as never, "req-12345678" as never);
    await next();
  });
  app.onError(createOnError((e) => logs.push(e)));
  app.get("/boom", () => {
    throw err;
  });
  return app;
}

async function render(err: unknown, logs: unknown[] = []) {
  const res = await appThrowing(err, logs).request("/boom");
  return { res, body: await res.json() };
}

Deno.test("every factory renders the envelope with its status", async () => {
  const cases: [AppError, ErrorCode, number][] = [
    [errors.invalidInput(), "invalid_input", 400],
    [errors.unauthorized(), "unauthorized", 401],
    [errors.forbidden(), "forbidden", 403],
    [errors.notFound("employee"), "not_found", 404],
    [errors.conflict(), "conflict", 409],
    [errors.payloadTooLarge(65536), "payload_too_large", 413],
    [errors.unsupportedMediaType(), "unsupported_media_type", 415],
    [errors.businessRule("Probation ends before it starts."), "business_rule", 422],
    [errors.rateLimited(30), "rate_limited", 429],
    [errors.internal(), "internal", 500],
    [errors.unavailable(), "unavailable", 503],
  ];
  assert.equal(cases.length, Object.keys(ERROR_STATUS).length, "every catalogue code is covered");
  for (const [err, code, status] of cases) {
    const { res, body } = await render(err);
    assert.equal(res.status, status, code);
    assert.equal(res.headers.get("content-type")?.startsWith("application/json"), true);
    assert.deepEqual(Object.keys(body), ["error"]);
    assert.deepEqual(Object.keys(body.error).sort(), ["code", "details", "message", "request_id"]);
    assert.equal(body.error.code, code);
    assert.equal(body.error.request_id, "req-12345678");
    assert.equal(typeof body.error.message, "string");
  }
});

Deno.test("notFound names the resource; 401 carries WWW-Authenticate; 429 carries Retry-After", async () => {
  const nf = await render(errors.notFound("employee"));
  assert.equal(nf.body.error.message, "The employee was not found.");
  assert.deepEqual(nf.body.error.details, { resource: "employee" });
  const ua = await render(errors.unauthorized());
  assert.match(ua.res.headers.get("www-authenticate") ?? "", /^Bearer/);
  const rl = await render(errors.rateLimited(30));
  assert.equal(rl.res.headers.get("retry-after"), "30");
  assert.equal(rl.body.error.details.retry_after_seconds, 30);
});

Deno.test("a 500 never leaks the message, stack or SQL of an unknown error", async () => {
  const logs: Record<string, unknown>[] = [];
  const secret = "select kra_pin from employees where password='hunter2'";
  const err = new Error(secret);
  const { res, body } = await render(err, logs);
  assert.equal(res.status, 500);
  assert.equal(body.error.code, "internal");
  const text = JSON.stringify(body);
  assert.ok(!text.includes("hunter2") && !text.includes("select") && !text.includes("at "), text);
  assert.equal(logs.length, 1, "500s are logged");
  assert.ok(!JSON.stringify(logs).includes("hunter2"), "the log gets no message either");
});

function pgError(code: string, message = "some SQL detail: relation private.x", hint?: string) {
  return Object.assign(new Error(message), {
    code,
    hint,
    severity: "ERROR",
    where: "PL/pgSQL function private.f() line 3",
  });
}

Deno.test("SQLSTATEs map to the catalogue", () => {
  const table: [string, ErrorCode][] = [
    ["42501", "forbidden"],
    ["23505", "conflict"],
    ["23503", "conflict"],
    ["23P01", "conflict"],
    ["23514", "invalid_input"],
    ["23502", "invalid_input"],
    ["22P02", "invalid_input"],
    ["22001", "invalid_input"],
    ["22023", "invalid_input"],
    ["57014", "unavailable"],
    ["40001", "unavailable"],
    ["40P01", "unavailable"],
    ["57P01", "unavailable"],
    ["53300", "unavailable"],
    ["08006", "unavailable"],
    ["08001", "unavailable"],
    ["P0001", "business_rule"],
    ["P0002", "not_found"],
    ["KZ001", "business_rule"],
    ["KZ403", "forbidden"],
    ["KZ404", "not_found"],
    ["KZ409", "conflict"],
    ["KZ429", "rate_limited"],
    ["KZ400", "invalid_input"],
    ["HR001", "business_rule"],
    ["42P01", "internal"],
    ["42703", "internal"],
    ["XX000", "internal"],
  ];
  for (const [sqlstate, code] of table) {
    assert.equal(fromPgError(pgError(sqlstate)).code, code, sqlstate);
  }
});

Deno.test("SQL internals never reach the client; our own raise messages do", () => {
  for (const sqlstate of ["42501", "23505", "23503", "23514", "22P02", "57014", "42P01"]) {
    const e = fromPgError(pgError(sqlstate, 'duplicate key value violates unique constraint "employees_kra_pin_key"'));
    assert.ok(!e.message.includes("employees_kra_pin_key"), sqlstate);
    assert.ok(!JSON.stringify(e.details).includes("employees"), sqlstate);
  }
  const rule = fromPgError(pgError("KZ001", "An employee cannot approve their own case.", "Ask another HR manager."));
  assert.equal(rule.status, 422);
  assert.equal(rule.message, "An employee cannot approve their own case.");
  assert.deepEqual(rule.details, { hint: "Ask another HR manager." });
});

Deno.test("connection failures are 503", () => {
  for (
    const e of [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      Object.assign(new Error("x"), { code: "ETIMEDOUT" }),
      new Error("timeout exceeded when trying to connect"),
      new Error("Connection terminated unexpectedly"),
      Object.assign(new AggregateError([Object.assign(new Error("r"), { code: "ECONNREFUSED" })]), {}),
    ]
  ) {
    assert.ok(isConnectionError(e), e.message);
    assert.equal(fromPgError(e).code, "unavailable");
    assert.equal(toAppError(e).code, "unavailable");
  }
  assert.equal(isConnectionError(new Error("nope")), false);
  assert.equal(isConnectionError(null), false);
});

Deno.test("AppErrors pass through; unknown things become internal", () => {
  const nf = errors.notFound("tenant");
  assert.equal(fromPgError(nf), nf);
  assert.equal(toAppError(nf), nf);
  assert.equal(fromPgError(undefined).code, "internal");
  assert.equal(fromPgError({ code: 42 }).code, "internal");
  assert.equal(toAppError(new TypeError("x is undefined")).code, "internal");
});

Deno.test("Hono HTTPExceptions map to the catalogue", () => {
  assert.equal(toAppError(new HTTPException(400, { message: "Malformed JSON in request body" })).code, "invalid_input");
  assert.equal(toAppError(new HTTPException(413)).code, "payload_too_large");
  assert.equal(toAppError(new HTTPException(415)).code, "unsupported_media_type");
  assert.equal(toAppError(new HTTPException(401)).code, "unauthorized");
  assert.equal(toAppError(new HTTPException(418)).code, "internal");
  const malformed = toAppError(new HTTPException(400, { message: "Malformed JSON in request body: Unexpected token" }));
  assert.ok(!malformed.message.includes("Unexpected token"));
});
