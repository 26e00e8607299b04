/**
 * Runs `task` every `intervalMs` (after each run finishes) until stopped, as
 * pg_cron would run a job during a bench window. `stop()` wakes a waiting
 * loop at once, lets it run `task` one last time and resolves when it has: a
 * window that ends with `await stop()` is not stretched to the next tick.
 */
export function every(intervalMs: number, task: () => Promise<unknown>): { stop(): Promise<void> } {
  let running = true;
  let wake = () => {};
  const stopped = new Promise<void>((r) => (wake = r));
  const loop = (async () => {
    while (running) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, intervalMs))), stopped]);
      clearTimeout(timer);
      await task();
    }
  })();
  return {
    stop() {
      running = false;
      wake();
      return loop;
    },
  };
}
