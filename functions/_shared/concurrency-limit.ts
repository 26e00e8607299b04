// At most `limit` requests of a function are worked on at once; the others
// wait, in the order they arrived, before any of their work starts.
//
// Why: an instance runs its JavaScript on one thread. Without a limit, every
// request that arrives starts at once and all of them share that thread, the
// crypto threads and the pool, so each one's latency grows with the crowd
// that arrived after it, and the thread keeps switching between half-done
// requests. Under the API bench's 50 busy connections the slowest saves took
// about twice the median. Taken in arrival order, a request waits only for
// those ahead of it (bench/api.bench.ts).
//
// The turn is taken around the app's fetch, not as its first middleware:
// measured on the save, the same limit as a middleware served about 9% fewer
// requests a second than around fetch, no more than with no limit at all.
// No function calls another over HTTP, so a request holding a turn never
// waits for one.
import pLimit from "p-limit";

// deno-lint-ignore no-explicit-any
type Fetch = (request: Request, ...rest: any[]) => Response | Promise<Response>;

/** Makes `app.fetch` (and so `app.request`) take turns, first in first out. */
export function takeTurns<A extends { fetch: Fetch }>(app: A, limit: number): A {
  // p-limit runs queued functions first in, first out
  const turn = pLimit(limit);
  const fetch = app.fetch;
  app.fetch = (request, ...rest) => turn(() => fetch(request, ...rest));
  return app;
}
