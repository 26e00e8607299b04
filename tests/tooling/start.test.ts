// `npm start` as a new user runs it: database provisioned, migrated and
// seeded, functions served, health answering, Ctrl-C stopping everything.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { needsServer, npmScript, repoRoot, scratchDatabase } from "./_support.ts";

async function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function startKazi(env: Record<string, string>) {
  const child = new Deno.Command("node", {
    args: ["--import", "tsx", "scripts/start.ts"],
    cwd: repoRoot,
    env: { KAZI_ENV_FILE: join(mkdtempSync(join(tmpdir(), "kazi-env-")), ".env.local"), ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    output: () => output,
    async waitFor(text: string, ms: number): Promise<void> {
      const until = Date.now() + ms;
      while (!output.includes(text)) {
        if (Date.now() > until) throw new Error(`no "${text}" within ${ms} ms; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(): Promise<Deno.CommandStatus> {
      child.kill("SIGINT");
      const status = await child.status;
      await pumped;
      return status;
    },
  };
}

async function answers(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({ name: "npm start serves health within 90 s and Ctrl-C stops it", ...needsServer }, async () => {
  const db = await scratchDatabase("start");
  const port = await freePort();
  const kazi = startKazi({ DATABASE_URL: db.url, KAZI_FUNCTIONS_PORT: String(port) });
  try {
    await kazi.waitFor("Kazi is up", 90_000);
    const res = await fetch(`http://127.0.0.1:${port}/functions/v1/health`);
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.database.reachable, true);
    assert.match(kazi.output(), /database: DATABASE_URL/);
    assert.match(kazi.output(), /npm run token -- --user/);
  } finally {
    const status = await kazi.stop();
    await db.drop();
    assert.equal(status.code, 130, kazi.output());
  }
  assert.equal(await answers(port), false, "functions stopped");
});

Deno.test({ name: "npm start with KAZI_DB=embedded runs its own Postgres and stops it", sanitizeResources: false }, async () => {
  const port = await freePort();
  const dbPort = await freePort();
  const kazi = startKazi({
    KAZI_DB: "embedded",
    KAZI_STATE_DIR: mkdtempSync(join(tmpdir(), "kazi-state-")),
    KAZI_EMBEDDED_PORT: String(dbPort),
    KAZI_FUNCTIONS_PORT: String(port),
  });
  try {
    await kazi.waitFor("Kazi is up", 90_000);
    assert.match(kazi.output(), /database: embedded/);
    const res = await fetch(`http://127.0.0.1:${port}/functions/v1/health`);
    assert.equal(res.status, 200, await res.text());
    assert.equal(await answers(dbPort), true);
    // The embedded server checks passwords (the machine's local server trusts
    // loopback), so this is where a wrong one can be shown to fail cleanly.
    const wrong = await npmScript("db-migrate", [], {
      // secretlint-disable-next-line -- a deliberately wrong, made-up password
      DATABASE_URL: `postgresql://postgres:not-the-password@127.0.0.1:${dbPort}/postgres`,
    });
    assert.notEqual(wrong.code, 0);
    assert.equal(wrong.stderr, `kazi: cannot connect to Postgres at 127.0.0.1:${dbPort}: password authentication failed\n`);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /not-the-password/);
  } finally {
    const status = await kazi.stop();
    assert.equal(status.code, 130, kazi.output());
  }
  assert.equal(await answers(dbPort), false, "embedded Postgres stopped");
  assert.equal(await answers(port), false, "functions stopped");
});

Deno.test("npm start names the port that is already taken", async () => {
  const taken = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => taken.once("listening", r));
  const { port } = taken.address() as { port: number };
  try {
    const kazi = startKazi({ KAZI_FUNCTIONS_PORT: String(port) });
    const status = await kazi.child.status;
    await kazi.waitFor(`port ${port}`, 5_000);
    assert.notEqual(status.code, 0);
  } finally {
    taken.close();
  }
});
