// One error catalogue for every function: stable codes, small factories, one
// renderer for the envelope {"error":{"code","message","details","request_id"}}
// and one place that maps Postgres SQLSTATEs to HTTP.
//
// Callers branch on `code`, never on `instanceof` of a library error. A client
// never sees String(err), a stack, SQL text or a constraint name from here:
// only the messages written in this file (or passed to a factory by our own
// code), and for business rules the message our own SQL `raise` chose.

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  business_rule: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];
export type ErrorDetails = Record<string, unknown>;

export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    message: string;
    details: ErrorDetails;
    request_id: string | null;
  };
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: ErrorDetails;
  /** Extra response headers (for example Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    // The cause is kept for server-side diagnostics only; it is never rendered.
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
    this.headers = options.headers ?? {};
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

type Opts = { cause?: unknown; headers?: Record<string, string> };

export const errors = {
  invalidInput: (message = "The request is not valid.", details: ErrorDetails = {}, o?: Opts) =>
    new AppError("invalid_input", message, details, o),
  unauthorized: (message = "A valid access token is required.", o?: Opts) =>
    new AppError("unauthorized", message, {}, {
      ...o,
      headers: { "www-authenticate": 'Bearer realm="kazi"', ...o?.headers },
    }),
  forbidden: (message = "You are not allowed to do this.", details: ErrorDetails = {}, o?: Opts) =>
    new AppError("forbidden", message, details, o),
  notFound: (resource = "resource", o?: Opts) =>
    new AppError("not_found", `The ${resource} was not found.`, { resource }, o),
  conflict: (message = "The request conflicts with the current state.", details: ErrorDetails = {}, o?: Opts) =>
    new AppError("conflict", message, details, o),
  payloadTooLarge: (limitBytes: number) =>
    new AppError("payload_too_large", `The request body exceeds ${limitBytes} bytes.`, { limit_bytes: limitBytes }),
  unsupportedMediaType: () => new AppError("unsupported_media_type", "The request body must be application/json.", {}),
  businessRule: (message: string, details: ErrorDetails = {}, o?: Opts) =>
    new AppError("business_rule", message, details, o),
  rateLimited: (retryAfterSeconds?: number, o?: Opts) =>
    new AppError(
      "rate_limited",
      "Too many requests; try again later.",
      retryAfterSeconds === undefined ? {} : { retry_after_seconds: retryAfterSeconds },
      {
        ...o,
        headers: retryAfterSeconds === undefined
          ? o?.headers
          : { "retry-after": String(retryAfterSeconds), ...o?.headers },
      },
    ),
  unavailable: (message = "The service is temporarily unavailable.", o?: Opts) =>
    new AppError("unavailable", message, {}, o),
  internal: (o?: Opts) => new AppError("internal", "An unexpected error occurred.", {}, o),
};

// ---------------------------------------------------------------------------
// Postgres → AppError

/** The fields of a node-postgres DatabaseError / socket error we look at. */
interface PgLikeError {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
  errno?: unknown;
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

// Messages node-postgres uses for failures that carry no code.
const CONNECTION_ERROR_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection refused/i,
  /Client has encountered a connection error/i,
  /Cannot use a pool after calling end/i,
];

// Postgres' own SQLSTATE classes (first two characters). A code whose class is
// not here was chosen by our SQL (`raise ... using errcode = 'KZ...'`).
const POSTGRES_CLASSES = new Set([
  "00",
  "01",
  "02",
  "03",
  "08",
  "09",
  "0A",
  "0B",
  "0F",
  "0L",
  "0P",
  "0Z",
  "20",
  "21",
  "22",
  "23",
  "24",
  "25",
  "26",
  "27",
  "28",
  "2B",
  "2D",
  "2F",
  "34",
  "38",
  "39",
  "3B",
  "3D",
  "3F",
  "40",
  "42",
  "44",
  "53",
  "54",
  "55",
  "57",
  "58",
  "72",
  "F0",
  "HV",
  "P0",
  "XX",
]);

/**
 * Our own business SQLSTATEs. Convention for every migration: raise with
 * errcode 'KZ' + three characters. KZ401/KZ403/KZ404/KZ409/KZ429 map to the
 * matching HTTP error, every other KZ code (and plain P0001 `raise exception`)
 * is a business rule (422). The raise's message is shown to the client, so it
 * must never contain a protected value.
 */
const KZ_CODES: Record<string, ErrorCode> = {
  KZ400: "invalid_input",
  KZ401: "unauthorized",
  KZ403: "forbidden",
  KZ404: "not_found",
  KZ409: "conflict",
  KZ429: "rate_limited",
};

function isSqlState(code: unknown): code is string {
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
}

/** True for errors that mean "the database cannot be reached right now". */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as PgLikeError;
  if (typeof e.code === "string") {
    if (CONNECTION_ERROR_CODES.has(e.code)) return true;
    if (isSqlState(e.code) && e.code.startsWith("08")) return true;
  }
  const msg = typeof e.message === "string" ? e.message : "";
  if (CONNECTION_ERROR_MESSAGES.some((re) => re.test(msg))) return true;
  // AggregateError (Deno/Node happy-eyeballs) wraps ECONNREFUSED per address.
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.some(isConnectionError);
}

/**
 * Maps any error thrown by the database layer to an AppError.
 * AppErrors pass through unchanged; anything unknown becomes `internal`.
 */
export function fromPgError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (isConnectionError(err)) return errors.unavailable(undefined, { cause: err });
  if (typeof err !== "object" || err === null) return errors.internal({ cause: err });
  const e = err as PgLikeError;
  if (!isSqlState(e.code)) return errors.internal({ cause: err });
  const code = e.code;
  const cls = code.slice(0, 2);
  const raisedMessage = typeof e.message === "string" && e.message.length <= 300 ? e.message : undefined;
  const hint = typeof e.hint === "string" && e.hint.length <= 300 ? e.hint : undefined;
  const raisedDetails = hint ? { hint } : {};

  switch (code) {
    case "42501": // insufficient_privilege, including RLS WITH CHECK failures
      return errors.forbidden(undefined, {}, { cause: err });
    case "23505": // unique_violation
      return errors.conflict("A record with the same unique value already exists.", {}, { cause: err });
    case "23503": // foreign_key_violation
      return errors.conflict("The request refers to a record that does not exist or is still referenced.", {}, {
        cause: err,
      });
    case "23P01": // exclusion_violation
      return errors.conflict(undefined, {}, { cause: err });
    case "23502": // not_null_violation
    case "23514": // check_violation: the row breaks a data rule, so the input was invalid
      return errors.invalidInput("The request breaks a data constraint.", {}, { cause: err });
    case "57014": // query_canceled (statement_timeout)
    case "40001": // serialization_failure: safe to retry
    case "40P01": // deadlock_detected: safe to retry
    case "57P01": // admin_shutdown
    case "57P02": // crash_shutdown
    case "57P03": // cannot_connect_now
    case "53300": // too_many_connections
      return errors.unavailable(undefined, { cause: err });
    case "P0001": // raise exception without an explicit errcode
      return errors.businessRule(raisedMessage ?? "A business rule was broken.", raisedDetails, { cause: err });
    case "P0002": // no_data_found (select ... into strict)
      return errors.notFound(undefined, { cause: err });
  }
  if (code.startsWith("KZ")) {
    const mapped = KZ_CODES[code] ?? "business_rule";
    const message = raisedMessage ?? "A business rule was broken.";
    return new AppError(mapped, message, raisedDetails, { cause: err });
  }
  if (cls === "22") return errors.invalidInput("A value has the wrong format or is out of range.", {}, { cause: err });
  if (cls === "53") return errors.unavailable(undefined, { cause: err });
  if (!POSTGRES_CLASSES.has(cls)) {
    // Another custom errcode from our own SQL: a business rule.
    return errors.businessRule(raisedMessage ?? "A business rule was broken.", raisedDetails, { cause: err });
  }
  return errors.internal({ cause: err });
}

// ---------------------------------------------------------------------------
// Rendering

const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_input",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "business_rule",
  429: "rate_limited",
  503: "unavailable",
};

/** Turns anything thrown into an AppError. Unknown errors become `internal`. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof HTTPException) {
    const code = HTTP_EXCEPTION_CODES[err.status];
    if (code === "invalid_input") {
      // Hono's own 400s are about malformed JSON / form bodies.
      return errors.invalidInput("The request body is not valid JSON.", {}, { cause: err });
    }
    if (code === "payload_too_large") return new AppError(code, "The request body is too large.", {}, { cause: err });
    if (code === "unsupported_media_type") return errors.unsupportedMediaType();
    if (code) return new AppError(code, defaultMessage(code), {}, { cause: err });
    return errors.internal({ cause: err });
  }
  if (isConnectionError(err)) return errors.unavailable(undefined, { cause: err });
  const maybeCode = (err as PgLikeError | null)?.code;
  if (isSqlState(maybeCode)) return fromPgError(err);
  return errors.internal({ cause: err });
}

function defaultMessage(code: ErrorCode): string {
  switch (code) {
    case "unauthorized":
      return "A valid access token is required.";
    case "forbidden":
      return "You are not allowed to do this.";
    case "not_found":
      return "The resource was not found.";
    case "conflict":
      return "The request conflicts with the current state.";
    case "rate_limited":
      return "Too many requests; try again later.";
    case "unavailable":
      return "The service is temporarily unavailable.";
    case "business_rule":
      return "A business rule was broken.";
    default:
      return "An unexpected error occurred.";
  }
}

export function envelope(err: AppError, requestId: string | null): ErrorEnvelope {
  return { error: { code: err.code, message: err.message, details: err.details, request_id: requestId } };
}

/** A logger that only ever receives the code, request id and a safe summary. */
export type ErrorLogger = (
  entry: { code: ErrorCode; request_id: string | null; sqlstate?: string; name?: string },
) => void;

const defaultLogger: ErrorLogger = (entry) => console.error(JSON.stringify({ level: "error", ...entry }));

/**
 * Hono `onError` handler. Renders the envelope with the right status. For
 * server-side errors it logs the code, the SQLSTATE and the error class name,
 * never the message (which may hold SQL or values) and never a token.
 */
export function createOnError(log: ErrorLogger = defaultLogger) {
  return (err: unknown, c: Context): Response => {
    const appErr = toAppError(err);
    const requestId = (c.get("requestId" as never) as string | undefined) ?? null;
    if (appErr.status >= 500) {
      const cause = appErr.cause as PgLikeError & { name?: unknown } | undefined;
      log({
        code: appErr.code,
        request_id: requestId,
        sqlstate: isSqlState(cause?.code) ? cause.code : undefined,
        name: typeof cause?.name === "string" ? cause.name : undefined,
      });
    }
    return errorResponse(appErr, requestId);
  };
}

export function errorResponse(err: AppError, requestId: string | null): Response {
  const headers = new Headers({ "content-type": "application/json; charset=utf-8", ...err.headers });
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(envelope(err, requestId)), { status: err.status, headers });
}
