// zod at the boundary: failures become `invalid_input` with field-level
// details, `{"<path>": "<message>"}`, and nothing is written.
// Messages are zod's (or the schema's own); they never echo the input value,
// so a malformed KRA PIN is not reflected back or logged.

import type { Context } from "hono";
import type { z } from "zod";
import { errors } from "./errors.ts";

/** Flattens zod issues into path → message ("bank.account", "items.2.name"). */
export function issueDetails(error: z.ZodError, target?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".") || target || "(root)";
    if (!(path in out)) out[path] = issue.message;
  }
  return out;
}

/** Parses a value or throws invalid_input. For input that is not a route schema. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, target?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw errors.invalidInput(messageFor(target), { fields: issueDetails(result.error, target) });
  }
  return result.data;
}

function messageFor(target?: string): string {
  switch (target) {
    case "json":
    case "form":
      return "The request body is not valid.";
    case "query":
      return "The query parameters are not valid.";
    case "param":
      return "The path parameters are not valid.";
    case "header":
      return "The request headers are not valid.";
    default:
      return "The request is not valid.";
  }
}

/**
 * `defaultHook` for OpenAPIHono: every route's request schemas funnel their
 * failures here. Envelope: {"code":"invalid_input","details":{"target":"json",
 * "fields":{"kra_pin":"Invalid KRA PIN"}}}.
 */
export function validationHook(
  result: { target: string } & ({ success: true; data: unknown } | { success: false; error: z.ZodError }),
  _c: Context,
): void {
  if (!result.success) {
    throw errors.invalidInput(messageFor(result.target), {
      target: result.target,
      fields: issueDetails(result.error, result.target),
    });
  }
  const bad = illFormedStringPath(result.data);
  if (bad !== null) {
    throw errors.invalidInput(messageFor(result.target), {
      target: result.target,
      fields: { [bad || result.target]: "Must be valid Unicode text" },
    });
  }
}

/**
 * The path of the first string holding a lone UTF-16 surrogate, or null.
 * JSON can carry one ("\ud800"), but it is not text: encoding it for
 * Postgres silently turns it into U+FFFD, so what was stored would differ
 * from what was sent. Refused at the boundary instead.
 */
export function illFormedStringPath(value: unknown, path = ""): string | null {
  if (typeof value === "string") return value.isWellFormed() ? null : path;
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const found = illFormedStringPath(v, path ? `${path}.${k}` : k);
      if (found !== null) return found;
    }
  }
  return null;
}
