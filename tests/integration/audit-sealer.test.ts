// audit.seal() against real concurrent sessions: it seals only the rows of
// transactions that can no longer add any (below the oldest one still
// running), so a row is sealed exactly once however commits interleave; an
// open transaction holds back the rows committed after it began; rolled-back
// rows never count; two sealers never seal the same rows; and the local
// stack's sealer loop (scripts/lib/audit-sealer.ts) keeps the chain current.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "./_support/env.ts";
import { startAuditSealer } from "../../scripts/lib/audit-sealer.ts";

const ignore = !env.testDbUrl;
if (ignore) console.warn("audit-sealer: KAZI_TEST_DB_URL is not set; skipped");

async function session(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: env.testDbUrl });
  await c.connect();
  return c;
}

/** Writes one security event for tenant and returns its id (in c's current transaction). */
async function event(c: pg.Client, tenant: string, action = "test.sealer"): Promise<string> {
  const { rows } = await c.query("select audit.record_event($1, tenant_id => $2::uuid)::text as id", [action, tenant]);
  return rows[0].id;
}

/** How many seals of the tenant's chain name the event (0, or 1 when sealed). */
async function timesSealed(c: pg.Client, tenant: string, id: string): Promise<number> {
  const { rows } = await c.query(
    "select count(*)::int as n from audit.seals where chain_key = $1 and $2::bigint = any (event_ids)",
    [tenant, id],
  );
  return rows[0].n;
}

async function verify(c: pg.Client, tenant: string): Promise<string | null> {
  const { rows } = await c.query("select (audit.verify_chain($1)).problem", [tenant]);
  return rows[0].problem;
}

Deno.test({ name: "audit sealer: a row is sealed once its transaction has finished, never before", ignore }, async () => {
  const [writer, sealer] = [await session(), await session()];
  const tenant = crypto.randomUUID();
  try {
    await writer.query("begin");
    const id = await event(writer, tenant);
    await sealer.query("select audit.seal()");
    assert.equal(await timesSealed(sealer, tenant, id), 0, "an open transaction's row is not sealed");
    await writer.query("commit");
    await sealer.query("select audit.seal()");
    assert.equal(await timesSealed(sealer, tenant, id), 1);
    await sealer.query("select audit.seal()");
    assert.equal(await timesSealed(sealer, tenant, id), 1, "a second run does not seal it again");
    assert.equal(await verify(sealer, tenant), null);
  } finally {
    await writer.end();
    await sealer.end();
  }
});

Deno.test({ name: "audit sealer: an older open transaction holds back rows committed after it began", ignore }, async () => {
  const [early, late, sealer] = [await session(), await session(), await session()];
  const tenant = crypto.randomUUID();
  try {
    await early.query("begin");
    const first = await event(early, tenant);  // takes the older transaction id
    await late.query("begin");
    const second = await event(late, tenant);
    await late.query("commit");
    await sealer.query("select audit.seal()");
    assert.equal(await timesSealed(sealer, tenant, second), 0, "sealing it now would skip the older transaction's row");
    const third = await event(early, tenant);  // the old transaction writes again, later
    await early.query("commit");
    await sealer.query("select audit.seal()");
    for (const id of [first, second, third]) assert.equal(await timesSealed(sealer, tenant, id), 1, `event ${id} sealed once`);
    assert.equal(await verify(sealer, tenant), null);
  } finally {
    await Promise.all([early.end(), late.end(), sealer.end()]);
  }
});

Deno.test({ name: "audit sealer: rolled-back rows are never sealed and do not break the chain", ignore }, async () => {
  const [writer, sealer] = [await session(), await session()];
  const tenant = crypto.randomUUID();
  try {
    await writer.query("begin");
    const gone = await event(writer, tenant);
    await writer.query("rollback");
    const kept = await event(writer, tenant);
    await sealer.query("select audit.seal()");
    assert.equal(await timesSealed(sealer, tenant, gone), 0);
    assert.equal(await timesSealed(sealer, tenant, kept), 1);
    assert.equal(await verify(sealer, tenant), null);
  } finally {
    await writer.end();
    await sealer.end();
  }
});

Deno.test({ name: "audit sealer: a second sealer returns at once while one runs, and seals nothing twice", ignore }, async () => {
  const [first, second, writer] = [await session(), await session(), await session()];
  const tenant = crypto.randomUUID();
  try {
    const id = await event(writer, tenant);
    await first.query("begin");
    const { rows: [a] } = await first.query("select audit.seal() as n");
    assert.ok(a.n >= 1, "the first sealer sealed the committed row");
    const { rows: [b] } = await second.query("select audit.seal() as n");
    assert.equal(b.n, 0, "the second did not wait for the first and sealed nothing");
    await first.query("commit");
    assert.equal(await timesSealed(second, tenant, id), 1);
    const { rows: [c] } = await second.query("select count(*)::int as n from audit.seals where chain_key = $1", [tenant]);
    assert.equal(c.n, 1);
  } finally {
    await Promise.all([first.end(), second.end(), writer.end()]);
  }
});

Deno.test({ name: "audit sealer: the local stack's loop seals new rows within its interval", ignore }, async () => {
  const writer = await session();
  const tenant = crypto.randomUUID();
  const loop = startAuditSealer(env.testDbUrl!, 100);
  try {
    const id = await event(writer, tenant);
    let sealed = 0;
    for (let i = 0; i < 50 && sealed === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sealed = await timesSealed(writer, tenant, id);
    }
    assert.equal(sealed, 1);
  } finally {
    await loop.stop();
    await writer.end();
  }
});
