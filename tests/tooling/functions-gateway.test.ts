// The local functions gateway (scripts/serve-functions.ts, started as npm
// start, npm test and npm run bench start it) runs several instances, each
// with a socket of its own on the port (reusePort), so the kernel spreads
// connections over them; a burst of new connections is answered in full; a
// port already taken is refused.
import assert from "node:assert/strict";
import { startFunctions } from "../../scripts/lib/functions-server.ts";
import { freePort } from "../../scripts/lib/ports.ts";

const dbUrl = Deno.env.get("KAZI_TEST_DB_URL");

/** Listening TCP sockets on 127.0.0.1:port, from /proc/net/tcp (state 0A). */
function listeningSockets(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === local && f[3] === "0A").length;
}

Deno.test({ name: "the gateway serves with KAZI_FUNCTIONS_INSTANCES instances, one listening socket each", ignore: !dbUrl }, async () => {
  const port = await freePort();
  let output = "";
  const served = await startFunctions(
    { SUPABASE_DB_URL: dbUrl!, KAZI_FUNCTIONS_INSTANCES: "3", KAZI_FUNCTIONS_ONLY: "health", NO_COLOR: "1" },
    { port, log: (chunk) => void (output += chunk) },
  );
  try {
    assert.equal(served.instances, 3);
    assert.match(output, /\(3 instances\)/);
    assert.equal(listeningSockets(port), 3);

    // 60 new connections at once, each one request: every one answered
    const statuses = await Promise.all(Array.from({ length: 60 }, async () => {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      try {
        const res = await fetch(`${served.url}/health`, { client });
        await res.body?.cancel();
        return res.status;
      } finally {
        client.close();
      }
    }));
    assert.deepEqual([...new Set(statuses)], [200]);

    // a second gateway on the same port is refused, not quietly sharing it
    await assert.rejects(
      startFunctions({ SUPABASE_DB_URL: dbUrl!, KAZI_FUNCTIONS_ONLY: "health" }, { port, log: () => {} }),
      /exited .* before listening/,
    );
  } finally {
    await served.stop();
  }
});
