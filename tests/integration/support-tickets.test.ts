// The support function, tenant side, served over HTTP: open a ticket, list
// (keyset pages), read (never internal notes), reply; 400/401/403/404/409;
// Idempotency-Key replay; refusals audited; and a real supabase-js client.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction, supabaseClient } from "./_support/functions.ts";
import { anonToken, userToken } from "./_support/tokens.ts";
import { auditEvents, openFixtures, seedTenant, seedTicket } from "../../functions/support/test-fixtures.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

interface Err {
  error: { code: string; message: string; details: Record<string, unknown>; request_id: string | null };
}
interface TicketBody {
  id: string;
  tenant_id: string;
  subject: string;
  status: string;
  priority: string;
  opened_by: string | null;
  assigned_to: string | null;
  messages: { id: string; body: string; internal: boolean; author_id: string | null }[];
}
interface Page {
  items: TicketBody[];
  next_cursor: string | null;
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

dbTest("support tickets: open → list → read → reply, as an HR manager; the opener is stamped from the token", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const token = await userToken(t.users.hr_manager.id);
  const opened = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets`, {
    token,
    body: { subject: "  Payroll export fails  ", body: "The March export stops at 50%.", priority: "high" },
  });
  assert.equal(opened.status, 201, JSON.stringify(opened.body));
  assert.equal(opened.body.subject, "Payroll export fails");
  assert.equal(opened.body.status, "open");
  assert.equal(opened.body.priority, "high");
  assert.equal(opened.body.opened_by, t.users.hr_manager.id);
  assert.equal(opened.body.assigned_to, null);
  assert.equal(opened.body.messages.length, 1);
  assert.equal(opened.body.messages[0].author_id, t.users.hr_manager.id);

  const list = await callFunction<Page>("support", `/tenants/${t.tenantId}/tickets`, { token });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((i) => i.id), [opened.body.id]);

  const reply = await callFunction<{ body: string; internal: boolean }>("support", `/tenants/${t.tenantId}/tickets/${opened.body.id}/messages`, {
    token: await userToken(t.users.owner.id),
    body: { body: "Any news?" },
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal(reply.body.internal, false);

  const read = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets/${opened.body.id}`, { token });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.messages.map((m) => m.body), ["The March export stops at 50%.", "Any news?"]);

  const { rows: [row] } = await sql<{ opened_by: string }>`select opened_by from public.support_tickets where id = ${opened.body.id}::uuid`.execute(f.db);
  assert.equal(row.opened_by, t.users.hr_manager.id);
});

dbTest("support tickets: internal notes are never shown to the tenant (read and list)", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.admin.id);
  const res = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets/${ticket.id}`, {
    token: await userToken(t.users.owner.id),
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.messages.length, 1);
  assert.ok(res.body.messages.every((m) => !m.internal));
  assert.ok(!JSON.stringify(res.body).includes(ticket.internalNote), "the internal note's text is not in the response");
});

dbTest("support tickets: keyset pagination walks every ticket once, newest first, with a status filter", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await seedTicket(f.db, t.tenantId, t.users.owner.id, { status: i === 4 ? "resolved" : "open" })).id);
  const token = await userToken(t.users.admin.id);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
    const page: { status: number; body: Page } = await callFunction<Page>("support", `/tenants/${t.tenantId}/tickets${q}`, { token });
    assert.equal(page.status, 200);
    assert.ok(page.body.items.length <= 2);
    seen.push(...page.body.items.map((i) => i.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, [...ids].reverse(), "newest first, each once");
  const open = await callFunction<Page>("support", `/tenants/${t.tenantId}/tickets?status=resolved`, { token });
  assert.deepEqual(open.body.items.map((i) => i.id), [ids[4]]);
  const hrTicket = await seedTicket(f.db, t.tenantId, t.users.hr_manager.id);
  const mine = await callFunction<Page>("support", `/tenants/${t.tenantId}/tickets?opened_by=me`, { token: await userToken(t.users.hr_manager.id) });
  assert.deepEqual(mine.body.items.map((i) => i.id), [hrTicket.id], "opened_by=me: only my own tickets");
  const badMine = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets?opened_by=someone`, { token });
  assert.equal(badMine.status, 400);
  const bad = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets?cursor=not*valid`, { token });
  assert.equal(bad.status, 400);
  const forged = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets?cursor=eyJ4IjoxfQ`, { token });
  assert.equal(forged.status, 400);
  assert.ok(forged.body.error.details.fields);
});

dbTest("support tickets: 400 on bad input, nothing written", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const token = await userToken(t.users.owner.id);
  const count = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from public.support_tickets where tenant_id = ${t.tenantId}::uuid`.execute(f.db)).rows[0].n;
  const cases: [string, unknown][] = [
    [`/tenants/${t.tenantId}/tickets`, { subject: "", body: "x" }],
    [`/tenants/${t.tenantId}/tickets`, { subject: "ok", body: "   " }],
    [`/tenants/${t.tenantId}/tickets`, { subject: "ok", body: "x", priority: "critical" }],
    [`/tenants/${t.tenantId}/tickets`, { subject: "x".repeat(201), body: "x" }],
    [`/tenants/not-a-uuid/tickets`, { subject: "ok", body: "x" }],
  ];
  for (const [path, body] of cases) {
    const res = await callFunction<Err>("support", path, { token, body });
    assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
    assert.equal(res.body.error.code, "invalid_input");
    assert.ok(res.body.error.request_id);
  }
  const notJson = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets`, { token, body: "{oops", headers: { "content-type": "application/json" } });
  assert.equal(notJson.status, 400);
  assert.equal(await count(), 0, "nothing written");
  const badStatus = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets?status=lost`, { token });
  assert.equal(badStatus.status, 400);
});

dbTest("support tickets: 401 without or with a bad token, on every tenant route", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  const paths = [`/tenants/${t.tenantId}/tickets`, `/tenants/${t.tenantId}/tickets/${ticket.id}`];
  for (const path of paths) {
    const none = await callFunction<Err>("support", path);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "unauthorized");
    const expired = await callFunction<Err>("support", path, { token: await userToken(t.users.owner.id, { expiresInSeconds: -120 }) });
    assert.equal(expired.status, 401);
  }
  const ua = `support-expired-probe/${crypto.randomUUID()}`;
  const rejected = await callFunction<Err>("support", paths[0], {
    token: await userToken(t.users.owner.id, { expiresInSeconds: -120 }),
    headers: { "user-agent": ua },
  });
  assert.equal(rejected.status, 401);
  const { rows: events } = await sql<{ outcome: string; request_id: string }>`select outcome, request_id from audit.events
    where action = 'auth.token_rejected' and user_agent = ${ua}`.execute(f.db);
  assert.equal(events.length, 1, "the rejected token is audited");
  assert.equal(events[0].outcome, "denied");
  assert.equal(events[0].request_id, rejected.headers.get("x-request-id"));
  const anon = await callFunction<Err>("support", paths[0], { token: await anonToken() });
  assert.ok([401, 403].includes(anon.status), "an anon key is not a user");
  const post = await callFunction<Err>("support", paths[0], { body: { subject: "x", body: "y" } });
  assert.equal(post.status, 401);
});

dbTest("support tickets: an employee (no support.use) is refused with 403, audited with ip and user agent", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const ticket = await seedTicket(f.db, t.tenantId, t.users.owner.id);
  const token = await userToken(t.users.employee.id);
  const headers = { "user-agent": "support-test-agent/1.0", "x-forwarded-for": "203.0.113.9" };
  const open = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets`, { token, headers, body: { subject: "x", body: "y" } });
  assert.equal(open.status, 403);
  assert.equal(open.body.error.code, "forbidden");
  const read = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets/${ticket.id}`, { token, headers });
  assert.equal(read.status, 403);
  const rows = await auditEvents(f.db, { action: "support.ticket_opened", actorId: t.users.employee.id, outcome: "denied" });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].tenant_id, t.tenantId);
  assert.equal(rows[0].ip_address, "203.0.113.9");
  assert.equal(rows[0].user_agent, "support-test-agent/1.0");
  assert.equal(rows[0].request_id, open.headers.get("x-request-id"));
  const readRows = await auditEvents(f.db, { action: "support.ticket_read", actorId: t.users.employee.id, outcome: "denied" });
  assert.equal(readRows.length, 1);
  assert.equal(readRows[0].resource_id, ticket.id);
});

dbTest("support tickets: 404 for an unknown ticket; 409 when replying to a closed ticket; a reply re-opens a resolved one", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const token = await userToken(t.users.owner.id);
  const missing = crypto.randomUUID();
  const read = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets/${missing}`, { token });
  assert.equal(read.status, 404);
  assert.equal(read.body.error.code, "not_found");
  const reply404 = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets/${missing}/messages`, { token, body: { body: "hi" } });
  assert.equal(reply404.status, 404);

  const closed = await seedTicket(f.db, t.tenantId, t.users.owner.id, { status: "closed" });
  const reply409 = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets/${closed.id}/messages`, { token, body: { body: "hi" } });
  assert.equal(reply409.status, 409);
  assert.equal(reply409.body.error.code, "conflict");
  const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.support_ticket_messages where ticket_id = ${closed.id}::uuid`.execute(f.db);
  assert.equal(n.n, 2, "nothing written to the closed ticket");

  const resolved = await seedTicket(f.db, t.tenantId, t.users.owner.id, { status: "resolved" });
  const ok = await callFunction("support", `/tenants/${t.tenantId}/tickets/${resolved.id}/messages`, { token, body: { body: "Still broken" } });
  assert.equal(ok.status, 201);
  const { rows: [s] } = await sql<{ status: string }>`select status from public.support_tickets where id = ${resolved.id}::uuid`.execute(f.db);
  assert.equal(s.status, "open");
});

dbTest("support tickets: Idempotency-Key replays the same ticket; a different body with the same key is refused", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const token = await userToken(t.users.admin.id);
  const key = `open-${crypto.randomUUID()}`;
  const body = { subject: "Leave balances wrong", body: "All show zero." };
  const first = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets`, { token, body, headers: { "idempotency-key": key } });
  assert.equal(first.status, 201);
  const again = await callFunction<TicketBody>("support", `/tenants/${t.tenantId}/tickets`, { token, body, headers: { "idempotency-key": key } });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal(again.body.id, first.body.id);
  const other = await callFunction<Err>("support", `/tenants/${t.tenantId}/tickets`, {
    token,
    body: { ...body, subject: "Different" },
    headers: { "idempotency-key": key },
  });
  assert.equal(other.status, 422);
  const { rows: [n] } = await sql<{ n: number }>`select count(*)::int as n from public.support_tickets where tenant_id = ${t.tenantId}::uuid`.execute(f.db);
  assert.equal(n.n, 1, "one ticket");
});

dbTest("support tickets: a frontend opens and reads a ticket through supabase-js functions.invoke", async (f) => {
  const t = await seedTenant(f.db, f.vault, 0);
  const client = supabaseClient(await anonToken(), await userToken(t.users.owner.id));
  const { data, error } = await client.functions.invoke(`support/tenants/${t.tenantId}/tickets`, {
    method: "POST",
    body: { subject: "From the portal", body: "Opened with supabase-js" },
  });
  assert.equal(error, null, String(error));
  assert.equal(data.subject, "From the portal");
  const read = await client.functions.invoke(`support/tenants/${t.tenantId}/tickets/${data.id}`, { method: "GET" });
  assert.equal(read.error, null);
  assert.equal(read.data.messages[0].body, "Opened with supabase-js");

  const outsider = supabaseClient(await anonToken(), await userToken(t.users.employee.id));
  const refused = await outsider.functions.invoke(`support/tenants/${t.tenantId}/tickets`, { method: "GET" });
  assert.ok(refused.error, "refused");
  const ctx = (refused.error as { context?: Response }).context;
  assert.equal(ctx?.status, 403);
  const envelope = await ctx!.json();
  assert.equal(envelope.error.code, "forbidden");
});
