// The pages are written against the typed client: they type-check (with the
// DOM library, in a program of their own so it does not leak into the
// functions' types), and esbuild bundles them without errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createBundler, PAGES } from "../../web/server/bundle.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("reference pages", () => {
  it("type-check against the client (deno check web/)", () => {
    const out = spawnSync(resolve(root, "node_modules/.bin/deno"), ["check", "--quiet", "web/"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      encoding: "utf8",
    });
    assert.equal(out.status, 0, out.stdout + out.stderr);
  });

  it("bundle, one script per page", async () => {
    const bundler = await createBundler();
    try {
      const assets = await bundler.build();
      assert.deepEqual([...assets.keys()].sort(), PAGES.map((p) => `${p}.js`).sort());
    } finally {
      await bundler.dispose();
    }
  });
});
