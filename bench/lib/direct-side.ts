// The direct-SQL side on as many threads as the functions have processes, each
// thread with the pool one functions process has: both sides get the same
// cores and the same connections. Load is split evenly over the threads
// (connections, offered rate) and their windows are pooled; request i of
// thread t is request offset t + i × threads of the whole sequence.
import type { Window } from "./load.ts";
import type { OpenLoopWindow } from "./open-loop.ts";
import type { ScenarioData, ScenarioName } from "./direct-scenarios.ts";
import type { WorkerRequest } from "./direct-worker.ts";

type Reply = { ok: true; window?: Window } | { ok: false; error: string };

export class DirectSide {
  readonly #workers: Worker[];
  // one request at a time per worker: replies come back in order
  #queues: ((r: Reply) => void)[][];

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    this.#queues = workers.map(() => []);
    workers.forEach((w, t) => (w.onmessage = (e: MessageEvent<Reply>) => this.#queues[t].shift()?.(e.data)));
  }

  static async start(threads: number, init: { dbUrl: string; poolMax: number; data: ScenarioData }): Promise<DirectSide> {
    const workers = Array.from({ length: threads }, () => new Worker(new URL("./direct-worker.ts", import.meta.url), { type: "module" }));
    const side = new DirectSide(workers);
    await side.#all(() => ({ kind: "init", ...init }));
    return side;
  }

  get threads(): number {
    return this.#workers.length;
  }

  /** Closed loop: `connections` workers in all, back to back, for `seconds`. */
  async closedLoop(scenario: ScenarioName, connections: number, seconds: number): Promise<Window> {
    const n = this.threads;
    return pool(await this.#all((t) => ({ kind: "closed", scenario, connections: share(connections, n, t), seconds, offset: t, stride: n })));
  }

  /** Open loop at `rate` requests a second in all, over `slots` workers in all. */
  async openLoop(scenario: ScenarioName, rate: number, seconds: number, slots: number): Promise<OpenLoopWindow> {
    const n = this.threads;
    const windows = await this.#all((t) => ({ kind: "open", scenario, rate: rate / n, seconds, slots: share(slots, n, t), offset: t, stride: n })) as OpenLoopWindow[];
    return {
      ...pool(windows),
      scheduled: windows.reduce((s, w) => s + w.scheduled, 0),
      unfinished: windows.reduce((s, w) => s + w.unfinished, 0),
      serviceMs: windows.flatMap((w) => w.serviceMs),
      maxBacklog: Math.max(...windows.map((w) => w.maxBacklog)),
    };
  }

  async close(): Promise<void> {
    await this.#all(() => ({ kind: "close" }));
  }

  async #all(message: (t: number) => WorkerRequest): Promise<Window[]> {
    const replies = await Promise.all(this.#workers.map((w, t) =>
      new Promise<Reply>((resolve) => {
        this.#queues[t].push(resolve);
        w.postMessage(message(t));
      })
    ));
    const failed = replies.find((r) => !r.ok);
    if (failed && !failed.ok) throw new Error(`direct side: ${failed.error}`);
    return replies.map((r) => (r as { window?: Window }).window!).filter(Boolean);
  }
}

/** Thread t's part of `total`, the remainder going to the first threads. */
function share(total: number, threads: number, t: number): number {
  return Math.floor(total / threads) + (t < total % threads ? 1 : 0);
}

/** Windows run side by side: their requests and latencies together, over the longest one's time. */
function pool(windows: Window[]): Window {
  return {
    requests: windows.reduce((s, w) => s + w.requests, 0),
    failures: windows.reduce((s, w) => s + w.failures, 0),
    seconds: Math.max(...windows.map((w) => w.seconds)),
    latenciesMs: windows.flatMap((w) => w.latenciesMs),
  };
}
