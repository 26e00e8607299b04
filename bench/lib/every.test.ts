import assert from "node:assert/strict";
import { every } from "./every.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("every: runs the task each interval", async () => {
  let runs = 0;
  const job = every(20, () => Promise.resolve(runs++));
  await sleep(130);
  await job.stop();
  assert.ok(runs >= 3, `ran ${runs} times in 130 ms at a 20 ms interval`);
});

Deno.test("every: stop wakes the loop at once and runs the task one last time", async () => {
  let runs = 0;
  const job = every(10_000, () => Promise.resolve(runs++));
  await sleep(20);
  const started = performance.now();
  await job.stop();
  const waited = performance.now() - started;
  assert.equal(runs, 1, "the last run, made on stop");
  assert.ok(waited < 1000, `stop took ${waited.toFixed(0)} ms; it must not wait for the 10 s tick`);
});

Deno.test("every: stop during a run waits for that run, then runs the task once more, started after stop", async () => {
  const events: string[] = [];
  let release = () => {};
  const job = every(1, async () => {
    events.push("start");
    await new Promise<void>((r) => (release = r));
    events.push("end");
  });
  await sleep(20);
  const stopping = job.stop();
  events.push("stop");
  release();
  await sleep(5);
  release();
  await stopping;
  assert.deepEqual(events, ["start", "stop", "end", "start", "end"]);
});
