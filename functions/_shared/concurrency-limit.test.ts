import assert from "node:assert/strict";
import { Hono } from "hono";
import { takeTurns } from "./concurrency-limit.ts";

/** An app whose requests enter in `entered` and answer once their gate opens (`?fail` throws instead). */
function gatedApp(limit: number) {
  const entered: number[] = [];
  const gates = new Map<number, () => void>();
  const app = takeTurns(new Hono(), limit);
  app.get("/:n", async (c) => {
    const n = Number(c.req.param("n"));
    entered.push(n);
    await new Promise<void>((open) => gates.set(n, open));
    if (c.req.query("fail") !== undefined) throw new Error("handler failed");
    return c.text(String(n));
  });
  app.onError((_err, c) => c.text("failed", 500));
  const open = async (n: number) => {
    while (!gates.has(n)) await new Promise((r) => setTimeout(r, 1));
    gates.get(n)!();
  };
  return { app, entered, open };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

Deno.test("no more than the limit are worked on at once; the rest start in the order they arrived", async () => {
  const { app, entered, open } = gatedApp(2);
  const responses = [0, 1, 2, 3, 4].map((n) => app.request(`/${n}`));
  await settle();
  assert.deepEqual(entered, [0, 1]);
  await open(1);
  await settle();
  assert.deepEqual(entered, [0, 1, 2]);
  for (const n of [0, 2, 3, 4]) await open(n);
  const bodies = await Promise.all(responses.map(async (r) => await (await r).text()));
  assert.deepEqual(bodies, ["0", "1", "2", "3", "4"]);
  assert.deepEqual(entered, [0, 1, 2, 3, 4]);
});

Deno.test("a request that fails gives its turn to the next one", async () => {
  const { app, entered, open } = gatedApp(1);
  const failing = app.request("/0?fail");
  const waiting = app.request("/1");
  await settle();
  assert.deepEqual(entered, [0]);
  await open(0);
  assert.equal((await failing).status, 500);
  await open(1);
  assert.equal(await (await waiting).text(), "1");
  assert.deepEqual(entered, [0, 1]);
});
