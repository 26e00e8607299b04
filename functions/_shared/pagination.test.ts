import assert from "node:assert/strict";
import { z } from "zod";
import { isAppError } from "./errors.ts";
import { decodeCursor, encodeCursor, pageOf, pageQuerySchema } from "./pagination.ts";

const Key = z.object({ t: z.string(), id: z.uuid() });

Deno.test("a cursor round-trips its key and is URL-safe", () => {
  const key = { t: "2026-11-26T10:00:00.123456Z", id: crypto.randomUUID() };
  const cursor = encodeCursor(key);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(cursor, Key), key);
});

Deno.test("a tampered or foreign cursor is a 400 on the cursor field, not echoed", () => {
  for (const bad of ["%%%", "bm90IGpzb24", encodeCursor({ t: 1, id: "x" }), "A".repeat(600)]) {
    assert.throws(() => decodeCursor(bad, Key), (err) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, "invalid_input");
      assert.deepEqual(Object.keys((err.details as { fields: object }).fields), ["cursor"]);
      assert.ok(!JSON.stringify(err.details).includes(bad));
      return true;
    });
  }
});

Deno.test("page query: limit defaults to 50, is capped at 100 and coerced from the query string", () => {
  assert.deepEqual(pageQuerySchema.parse({}), { limit: 50 });
  assert.equal(pageQuerySchema.parse({ limit: "7" }).limit, 7);
  assert.equal(pageQuerySchema.safeParse({ limit: "101" }).success, false);
  assert.equal(pageQuerySchema.safeParse({ limit: "0" }).success, false);
  assert.equal(pageQuerySchema.safeParse({ limit: "2.5" }).success, false);
  assert.equal(pageQuerySchema.safeParse({ cursor: "a b" }).success, false);
});

Deno.test("pageOf: a next cursor only when there was one row more than the limit", () => {
  const rows = [1, 2, 3].map((n) => ({ n }));
  assert.deepEqual(pageOf(rows, 3, (r) => r), { items: rows, next_cursor: null });
  const page = pageOf(rows, 2, (r) => r);
  assert.deepEqual(page.items, rows.slice(0, 2));
  assert.deepEqual(decodeCursor(page.next_cursor!, z.object({ n: z.number() })), { n: 2 });
});
