// Starts scripts/serve-functions.ts under Deno and waits until it listens.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { ToolError } from "./cli.ts";
import { bin, repoRoot } from "./paths.ts";

export interface FunctionsServer { url: string; child: ChildProcess; stop(): Promise<void> }

export async function startFunctions(
  env: Record<string, string>,
  opts: { port: number; log?: (line: string) => void },
): Promise<FunctionsServer> {
  const child = spawn(
    bin("deno"),
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", resolve(repoRoot, "scripts", "serve-functions.ts")],
    { cwd: repoRoot, env: { ...process.env, ...env, KAZI_FUNCTIONS_PORT: String(opts.port) }, stdio: ["ignore", "pipe", "pipe"] },
  );
  // Raw chunks, so a caller scanning the output for leaks sees every byte.
  const log = opts.log ?? ((chunk: string) => process.stdout.write(chunk));
  let stderr = "";
  child.stderr!.on("data", (d) => {
    stderr += d;
    log(String(d));
  });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new ToolError(`functions did not start within 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on("data", (d) => {
      const text = String(d);
      log(text);
      if (text.includes("functions: listening")) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new ToolError(`functions server exited (${code}) before listening:\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${opts.port}/functions/v1`,
    child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}
