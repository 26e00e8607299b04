// Shared OpenAPI pieces: the error envelope schema and the standard error
// responses a route lists next to its success response.

import { z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode } from "./errors.ts";

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
      request_id: z.string().nullable(),
    }),
  })
  .openapi("ErrorEnvelope");

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input",
  401: "Missing, expired or invalid access token",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Request body too large",
  415: "Request body is not JSON",
  422: "A business rule was broken",
  429: "Rate limited",
  500: "Unexpected error (no internals disclosed)",
  503: "Temporarily unavailable",
};

type ErrorStatusCode = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** `responses: { 200: {...}, ...errorResponses(400, 401, 404) }` */
export function errorResponses<S extends ErrorStatusCode>(...statuses: S[]) {
  const out = {} as Record<
    S,
    { description: string; content: { "application/json": { schema: typeof ErrorEnvelopeSchema } } }
  >;
  for (const s of statuses) {
    out[s] = { description: DESCRIPTIONS[s], content: { "application/json": { schema: ErrorEnvelopeSchema } } };
  }
  return out;
}

/** Errors every authenticated JSON route can answer. */
export const STANDARD_ERRORS = [400, 401, 403, 413, 415, 429, 500, 503] as const;
