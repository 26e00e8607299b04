// Keyset pagination, shared by every list route.
//
//   const query = pageQuerySchema.extend({ status: ... });         // ?limit=&cursor=
//   const after = q.cursor ? decodeCursor(q.cursor, KeySchema) : undefined;
//   ...where (created_at, id) > (after.t, after.id) order by created_at, id limit q.limit + 1
//   const { items, next_cursor } = pageOf(rows, q.limit, (r) => ({ t: r.created_at, id: r.id }));
//
// A cursor is opaque to clients: base64url of a small JSON object naming the
// last row's sort key. It grants nothing: RLS still decides every row, so a
// forged cursor can only move the page, never widen it. A malformed cursor is
// a 400 on the `cursor` query field (never echoed back).

import { z } from "zod";
import { errors } from "./errors.ts";

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
const MAX_CURSOR_LENGTH = 512;

/** `?limit=1..100` (default 50) and an optional opaque `?cursor=`. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).regex(/^[A-Za-z0-9_-]+$/, "Invalid cursor").optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The opaque cursor for a sort key (a small JSON object). */
export function encodeCursor(key: Record<string, unknown>): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(key)));
}

/** Decodes and validates a cursor, or throws invalid_input (400) on the `cursor` field. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new Error("too long");
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(cursor)));
  } catch {
    throw invalidCursor();
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

function invalidCursor() {
  return errors.invalidInput("The query parameters are not valid.", {
    target: "query",
    fields: { cursor: "Invalid cursor: pass back next_cursor from the previous page unchanged" },
  });
}

/**
 * Given up to limit + 1 rows fetched in sort order, the page and the cursor of
 * the next one (null on the last page).
 */
export function pageOf<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => Record<string, unknown>,
): { items: T[]; next_cursor: string | null } {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(keyOf(items[items.length - 1])) };
}
