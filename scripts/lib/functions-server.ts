// Starts scripts/serve-functions.ts under Deno and waits until it listens.
import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { ToolError } from "./cli.ts";
import { FUNCTIONS_READY, FUNCTIONS_SERVE_ARGS, instanceCount } from "./functions-command.ts";
import { bin, repoRoot } from "./paths.ts";

export interface FunctionsServer {
  url: string;
  child: ChildProcess;
  /** How many instances serve (KAZI_FUNCTIONS_INSTANCES, else one per CPU but one). */
  instances: number;
  stop(): Promise<void>;
}

export async function startFunctions(
  env: Record<string, string>,
  opts: { port: number; log?: (line: string) => void },
): Promise<FunctionsServer> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, KAZI_FUNCTIONS_PORT: String(opts.port) };
  const child = spawn(bin("deno"), [...FUNCTIONS_SERVE_ARGS], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Raw chunks, so a caller scanning the output for leaks sees every byte.
  const log = opts.log ?? ((chunk: string) => process.stdout.write(chunk));
  let output = "";
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      fail(new ToolError(`functions did not start within 60 s:\n${output}`));
    }, 60_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on("data", (d) => {
        const text = String(d);
        log(text);
        if (output.length < 64_000) output += text;
        if (output.includes(FUNCTIONS_READY)) {
          clearTimeout(timer);
          ready();
        }
      });
    }
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new ToolError(`functions server exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${opts.port}/functions/v1`,
    child,
    instances: instanceCount(childEnv.KAZI_FUNCTIONS_INSTANCES, availableParallelism()),
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}
