// The one shape of an attack test: skipped (with one warning) unless the
// runner's stack is there, no resource/op sanitizers (the tests hold database
// pools and call the served functions), and the fixtures or the two-tenant
// world opened before the test and closed after it, whatever it throws.
import { openFixtures } from "../../../functions/admin/test-fixtures.ts";
import { env, requireEnv } from "../../integration/_support/env.ts";
import { buildWorld, type World } from "./world.ts";

/** What an attack test needs by default: the served functions, the run's test database and the functions' key material. */
export const SERVED_STACK = ["KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY"];

/** `test` is the test's name, or its name and the variables it needs instead of SERVED_STACK. */
export function attackTest(test: string | { name: string; needs: readonly string[] }, fn: () => Promise<void>): void {
  const { name, needs } = typeof test === "string" ? { name: test, needs: SERVED_STACK } : test;
  Deno.test({
    name,
    ignore: !requireEnv(...needs),
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

export type Fixtures = Awaited<ReturnType<typeof openFixtures>>;

/** A test body given the test database and the PII vault (functions/admin/test-fixtures.ts). */
export function withFixtures(fn: (f: Fixtures) => Promise<void>): () => Promise<void> {
  return async () => {
    const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      await fn(f);
    } finally {
      await f.close();
    }
  };
}

/** A test body given a fresh victim/attacker world (world.ts). */
export function withWorld(fn: (w: World) => Promise<void>): () => Promise<void> {
  return async () => {
    const w = await buildWorld();
    try {
      await fn(w);
    } finally {
      await w.close();
    }
  };
}
