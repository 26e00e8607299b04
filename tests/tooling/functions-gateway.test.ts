// The local functions gateway (scripts/serve-functions.ts) runs several
// instances, each with a socket of its own on the port (reusePort), so the
// kernel spreads connections over them; a burst of new connections is
// answered in full.
import assert from "node:assert/strict";
import { FUNCTIONS_READY, FUNCTIONS_SERVE_ARGS } from "../../scripts/lib/functions-command.ts";
import { repoRoot } from "./_support.ts";

const dbUrl = Deno.env.get("KAZI_TEST_DB_URL");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Listening TCP sockets on 127.0.0.1:port, from /proc/net/tcp (state 0A). */
function listeningSockets(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === local && f[3] === "0A").length;
}

Deno.test({ name: "the gateway serves with KAZI_FUNCTIONS_INSTANCES instances, one listening socket each", ignore: !dbUrl }, async () => {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FUNCTIONS_SERVE_ARGS],
    cwd: repoRoot,
    env: { SUPABASE_DB_URL: dbUrl!, KAZI_FUNCTIONS_PORT: String(port), KAZI_FUNCTIONS_INSTANCES: "3", KAZI_FUNCTIONS_ONLY: "health", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pumped = Promise.all([child.stdout, child.stderr].map(async (s) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) output += chunk;
  }));
  try {
    const until = Date.now() + 60_000;
    while (!output.includes(FUNCTIONS_READY)) {
      if (Date.now() > until) throw new Error(`gateway did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(output, /\(3 instances\)/);
    assert.equal(listeningSockets(port), 3);

    // 60 new connections at once, each one request: every one answered
    const statuses = await Promise.all(Array.from({ length: 60 }, async () => {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      try {
        const res = await fetch(`http://127.0.0.1:${port}/functions/v1/health`, { client });
        await res.body?.cancel();
        return res.status;
      } finally {
        client.close();
      }
    }));
    assert.deepEqual([...new Set(statuses)], [200]);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await pumped;
  }
});
