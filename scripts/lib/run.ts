// Runs a child process, streaming its output while keeping a copy to parse.
import { spawn } from "node:child_process";
import { repoRoot } from "./paths.ts";

export interface RunResult { code: number; output: string }

export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; echo?: boolean; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (d: Buffer) => {
      output += d;
      if (opts.echo !== false) process.stdout.write(d);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => done({ code: 127, output: `${output}${err.message}\n` }));
    child.on("close", (code) => done({ code: code ?? 1, output }));
  });
}
