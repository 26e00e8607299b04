// The pages' scripts, bundled by esbuild in memory: web/src/<page>.ts →
// /assets/<page>.js. The typed client comes along; its server types were
// `import type` only, so no server code reaches the browser.
import { context } from "esbuild";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PAGES = ["sign-in", "onboarding", "admin", "support"] as const;
const srcDir = fileURLToPath(new URL("../src/", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface Bundler {
  /** Rebuilds (incrementally) and returns each asset's JavaScript by file name. */
  build(): Promise<Map<string, string>>;
  dispose(): Promise<void>;
}

export async function createBundler(): Promise<Bundler> {
  const ctx = await context({
    entryPoints: PAGES.map((p) => resolve(srcDir, `${p}.ts`)),
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    // never written (write: false); the repository root, so source map paths read "packages/…", "web/src/…"
    outdir: repoRoot,
    // source map paths relative to the repository, not the machine
    absWorkingDir: repoRoot,
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  });
  return {
    async build() {
      const result = await ctx.rebuild();
      return new Map(result.outputFiles.map((f) => [basename(f.path), f.text]));
    },
    dispose: () => ctx.dispose(),
  };
}
