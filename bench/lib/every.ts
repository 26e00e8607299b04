/**
 * Runs `task` every `intervalMs` (after each run finishes) until stopped, as
 * pg_cron would run a job during a bench window. `stop()` wakes a waiting
 * loop at once and resolves after a run of `task` that started after the
 * call (a run already going when `stop()` came is finished first): a window
 * that ends with `await stop()` is not stretched to the next tick, and its
 * last run sees everything done before the window ended.
 */
export function every(intervalMs: number, task: () => Promise<unknown>): { stop(): Promise<void> } {
  let running = true;
  let wake = () => {};
  const stopped = new Promise<void>((r) => (wake = r));
  const loop = (async () => {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, intervalMs))), stopped]);
      clearTimeout(timer);
      const last = !running;
      await task();
      if (last) return;
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
