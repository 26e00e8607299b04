// The support function, agent side, served over HTTP: the queue (metadata of
// every tenant's tickets; filters; keyset pages), assignment, and — only
// under an active grant — the conversation with internal notes, replies,
// internal notes and status changes, each grant use audited.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import { auditEvents, makeAgent, openFixtures, seedGrant, seedTenant, seedTicket } from "../../functions/support/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

interface Err {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface QueueItem {
  id: string;
  tenant_id: string;
  tenant_name: string;
  subject: string;
  status: string;
  assigned_to: string | null;
  has_active_grant: boolean;
}
interface Queue {
  items: QueueItem[];
  next_cursor: string | null;
}
interface TicketBody {
  id: string;
  status: string;
  priority: string;
  messages: { body: string; internal: boolean; author_id: string | null }[];
}

function dbTest(name: string, fn: (f: ReturnType<typeof openFixtures>) => Promise<void>) {
  Deno.test({
    name,
    ignore: !served,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const f = openFixtures(env.testDbUrl!, Deno.env.toObject());
      try {
        await fn(f);
      } finally {
        await f.close();
      }
    },
  });
}

dbTest("agent queue: every agent sees ticket metadata (never messages), filtered by tenant, status and assignee, in keyset pages", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const token = await userToken(agent.id);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await seedTicket(f.db, t.tenantId, t.users.owner.id, { status: i === 2 ? "pending" : "open" })).id);

  const seen: QueueItem[] = [];
  let cursor: string | null = null;
  do {
    const q: string = `?tenant_id=${t.tenantId}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
    const page: { status: number; body: Queue } = await callFunction<Queue>("support", `/agent/tickets${q}`, { token });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    seen.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.deepEqual(seen.map((i) => i.id), ids, "oldest first, each once");
  assert.ok(seen.every((i) => i.tenant_name === t.name && i.has_active_grant === false));
  assert.ok(!JSON.stringify(seen).includes("Please help with payroll"), "no message body in the queue");

  const pending = await callFunction<Queue>("support", `/agent/tickets?tenant_id=${t.tenantId}&status=pending`, { token });
  assert.deepEqual(pending.body.items.map((i) => i.id), [ids[2]]);

  const assign = await callFunction<{ assigned_to: string }>("support", `/agent/tickets/${ids[0]}/assign`, { token, body: { assignee_id: agent.id } });
  assert.equal(assign.status, 200, JSON.stringify(assign.body));
  assert.equal(assign.body.assigned_to, agent.id);
  const mine = await callFunction<Queue>("support", `/agent/tickets?tenant_id=${t.tenantId}&assignee=me`, { token });
  assert.deepEqual(mine.body.items.map((i) => i.id), [ids[0]]);
  const byId = await callFunction<Queue>("support", `/agent/tickets?tenant_id=${t.tenantId}&assignee=${agent.id}`, { token });
  assert.deepEqual(byId.body.items.map((i) => i.id), [ids[0]]);
  const none = await callFunction<Queue>("support", `/agent/tickets?tenant_id=${t.tenantId}&assignee=none`, { token });
  assert.deepEqual(none.body.items.map((i) => i.id), ids.slice(1));
  const ev = await auditEvents(f.db, { action: "support.ticket_assigned", actorId: agent.id, resourceId: ids[0] });
  assert.equal(ev.length, 1);
  assert.equal(ev[0].tenant_id, t.tenantId);
  assert.equal(ev[0].details.assignee_id, agent.id);

  const bad = await callFunction<Err>("support", `/agent/tickets?assignee=someone`, { token });
  assert.equal(bad.status, 400);
  const badLimit = await callFunction<Err>("support", `/agent/tickets?limit=1000`, { token });
  assert.equal(badLimit.status, 400);
});

dbTest("agent queue and assignment: tenant users are refused (403, audited); bad assignee 400; unknown ticket 404; unassign", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  const owner = await userToken(t.users.owner.id);
  const queue = await callFunction<Err>("support", "/agent/tickets", { token: owner });
  assert.equal(queue.status, 403);
  const assign = await callFunction<Err>("support", `/agent/tickets/${ticket.id}/assign`, { token: owner, body: { assignee_id: t.users.owner.id } });
  assert.equal(assign.status, 403);
  assert.equal((await auditEvents(f.db, { action: "support.ticket_assigned", actorId: t.users.owner.id, outcome: "denied" })).length, 1);
  assert.equal((await auditEvents(f.db, { action: "support.queue_read", actorId: t.users.owner.id, outcome: "denied" })).length, 1);

  const token = await userToken(agent.id);
  const toTenantUser = await callFunction<Err>("support", `/agent/tickets/${ticket.id}/assign`, { token, body: { assignee_id: t.users.owner.id } });
  assert.equal(toTenantUser.status, 400, "only platform support agents can be assignees");
  const missing = await callFunction<Err>("support", `/agent/tickets/${crypto.randomUUID()}/assign`, { token, body: { assignee_id: agent.id } });
  assert.equal(missing.status, 404);
  const badBody = await callFunction<Err>("support", `/agent/tickets/${ticket.id}/assign`, { token, body: {} });
  assert.equal(badBody.status, 400);
  const colleague = await makeAgent(f.db);
  const toColleague = await callFunction<{ assigned_to: string }>("support", `/agent/tickets/${ticket.id}/assign`, { token, body: { assignee_id: colleague.id } });
  assert.equal(toColleague.body.assigned_to, colleague.id);
  const unassign = await callFunction<{ assigned_to: string | null; assigned_at: string | null }>("support", `/agent/tickets/${ticket.id}/assign`, { token, body: { assignee_id: null } });
  assert.equal(unassign.status, 200);
  assert.equal(unassign.body.assigned_to, null);
  assert.equal(unassign.body.assigned_at, null);
});

dbTest("tenant users cannot set the assignee directly in the database either (trigger)", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  await assert.rejects(
    f.db.transaction().execute(async (trx) => {
      await sql`select set_config('role', 'authenticated', true),
        set_config('request.jwt.claims', ${JSON.stringify({ sub: t.users.owner.id, role: "authenticated" })}, true)`.execute(trx);
      await sql`update public.support_tickets set assigned_to = ${agent.id}::uuid, assigned_at = now() where id = ${ticket.id}::uuid`.execute(trx);
    }),
    (err: { code?: string }) => err.code === "42501",
  );
});

dbTest("agent without a grant: the conversation, replies, notes and status changes are refused (403, audited); nothing written", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  await seedGrant(f.db, t.tenantId, agent.id, "requested");
  const token = await userToken(agent.id);
  const calls: [string, string, unknown?][] = [
    ["GET", `/agent/tickets/${ticket.id}`],
    ["POST", `/agent/tickets/${ticket.id}/messages`, { body: "hello" }],
    ["POST", `/agent/tickets/${ticket.id}/messages`, { body: "note", internal: true }],
    ["PATCH", `/agent/tickets/${ticket.id}`, { status: "resolved" }],
  ];
  for (const [method, path, body] of calls) {
    const res = await callFunction<Err>("support", path, { method, token, body });
    assert.equal(res.status, 403, `${method} ${path}`);
    assert.equal(res.body.error.details.reason, "no_active_grant");
    assert.ok(!JSON.stringify(res.body).includes(ticket.internalNote));
  }
  const { rows: [n] } = await sql<{ n: number; status: string }>`select (select count(*)::int from public.support_ticket_messages where ticket_id = ${ticket.id}::uuid) as n,
    (select status from public.support_tickets where id = ${ticket.id}::uuid) as status`.execute(f.db);
  assert.equal(n.n, 2);
  assert.equal(n.status, "open");
  const { rows: [d] } = await sql<{ n: number }>`select count(*)::int as n from audit.events
    where actor_id = ${agent.id}::uuid and outcome = 'denied' and resource_id = ${ticket.id}`.execute(f.db);
  assert.equal(d.n, calls.length, "one denied row per refused request");
});

dbTest("agent under a grant: reads internal notes, replies, adds a note the tenant never sees, changes status; each use audited", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const agent = await makeAgent(f.db);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  const grantId = await seedGrant(f.db, t.tenantId, agent.id, "active", t.users.owner.id);
  const token = await userToken(agent.id);

  const queue = await callFunction<Queue>("support", `/agent/tickets?tenant_id=${t.tenantId}`, { token });
  assert.equal(queue.body.items[0].has_active_grant, true);

  const read = await callFunction<TicketBody>("support", `/agent/tickets/${ticket.id}`, { token });
  assert.equal(read.status, 200, JSON.stringify(read.body));
  assert.deepEqual(read.body.messages.map((m) => m.internal).sort(), [false, true], "agents see internal notes");
  assert.ok(read.body.messages.some((m) => m.body === ticket.internalNote));

  const reply = await callFunction<{ internal: boolean; author_id: string }>("support", `/agent/tickets/${ticket.id}/messages`, { token, body: { body: "We are on it." } });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.internal, false);
  assert.equal(reply.body.author_id, agent.id);
  const secret = `agent-only-${crypto.randomUUID()}`;
  const note = await callFunction<{ internal: boolean }>("support", `/agent/tickets/${ticket.id}/messages`, { token, body: { body: secret, internal: true } });
  assert.equal(note.status, 201);
  assert.equal(note.body.internal, true);

  const change = await callFunction<{ status: string; priority: string; closed_at: string | null }>("support", `/agent/tickets/${ticket.id}`, {
    method: "PATCH",
    token,
    body: { status: "closed", priority: "urgent" },
  });
  assert.equal(change.status, 200, JSON.stringify(change.body));
  assert.equal(change.body.status, "closed");
  assert.equal(change.body.priority, "urgent");
  assert.ok(change.body.closed_at);
  const emptyChange = await callFunction<Err>("support", `/agent/tickets/${ticket.id}`, { method: "PATCH", token, body: {} });
  assert.equal(emptyChange.status, 400);
  const replyClosed = await callFunction<Err>("support", `/agent/tickets/${ticket.id}/messages`, { token, body: { body: "late" } });
  assert.equal(replyClosed.status, 409);
  const noteClosed = await callFunction("support", `/agent/tickets/${ticket.id}/messages`, { token, body: { body: "closing note", internal: true } });
  assert.equal(noteClosed.status, 201, "internal notes are still allowed on a closed ticket");

  const tenantView = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets/${ticket.id}`, { token: await userToken(t.users.owner.id) });
  assert.equal(tenantView.status, 200);
  assert.deepEqual(tenantView.body.messages.map((m) => m.body), ["Please help with payroll", "We are on it."]);
  assert.ok(!JSON.stringify(tenantView.body).includes(secret), "the tenant never sees the internal note");
  assert.ok(!JSON.stringify(tenantView.body).includes(ticket.internalNote));
  assert.equal(tenantView.body.status, "closed");

  const uses = await auditEvents(f.db, { action: "support.grant_used", actorId: agent.id, tenantId: t.tenantId });
  assert.deepEqual(
    uses.map((u) => u.details.operation).sort(),
    ["ticket.change", "ticket.internal_note", "ticket.internal_note", "ticket.read", "ticket.reply"],
  );
  assert.ok(uses.every((u) => u.resource_id === grantId && u.details.target_id === ticket.id));
  assert.ok(!JSON.stringify(uses).includes(secret), "message bodies are not copied into grant-use events");

  const unknown = await callFunction<Err>("support", `/agent/tickets/${crypto.randomUUID()}`, { token });
  assert.equal(unknown.status, 404);
});
