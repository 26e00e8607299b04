// Availability: the database dropping a connection that a request holds (a
// restart, an administrator's pg_terminate_backend) must fail that request
// with a 503, not crash the function process. node-pg emits 'error' on such
// a client; without a listener Deno treats it as an uncaught error and the
// whole function dies (found by tests/security-slow/db-restart.test.ts).
// This is the fast, deterministic version: terminate the backend of a
// checked-out client of the functions' own pool.
import assert from "node:assert/strict";
import pg from "pg";
import { createPool } from "../../functions/_shared/db.ts";
import { fromPgError } from "../../functions/_shared/errors.ts";
import { env } from "../integration/_support/env.ts";
import { attackTest } from "./_support/attack-test.ts";

attackTest({ name: "connection loss: a held connection terminated by the server fails its query as 503 and does not crash the process", needs: ["KAZI_TEST_DB_URL"] }, async () => {
  const pool = createPool({ url: env.testDbUrl!, poolMax: 2, connectTimeoutMs: 3000, statementTimeoutMs: 5000 });
  const admin = new pg.Client({ connectionString: env.testDbUrl });
  await admin.connect();
  try {
    const client = await pool.connect();
    const { rows: [{ pid }] } = await client.query("select pg_backend_pid() as pid");
    await client.query("begin"); // a request in the middle of its transaction
    await admin.query("select pg_terminate_backend($1)", [pid]);
    await new Promise((r) => setTimeout(r, 300)); // the 'error' event arrives while nobody queries
    const err = await client.query("select 1").then(() => null, (e) => e);
    assert.ok(err, "the next query on the dropped connection fails");
    assert.equal(fromPgError(err).status, 503, "and maps to 503");
    client.release(err);
    const { rows: [ok] } = await pool.query("select 1 as one");
    assert.equal(ok.one, 1, "the pool serves the next request on a fresh connection");
  } finally {
    await admin.end();
    await pool.end();
  }
});
