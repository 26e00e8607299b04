// private.tenant_access stays equal to what the live rows say when the changes
// it derives from race each other in two sessions (read committed, as
// PostgREST and the functions run): the second refresh waits for the first
// and computes from what it committed. Each case starts the second session's
// write while the first still holds its transaction, checks that it waits,
// then commits the first and compares the user's access rows with the live
// definition. A refresh computed from the older snapshot would leave a
// revoked or soft-deleted tenant readable.
import assert from "node:assert/strict";
import pg from "pg";
import { env } from "./_support/env.ts";

const ignore = !env.testDbUrl;
if (ignore) console.warn("tenant-access-races: KAZI_TEST_DB_URL is not set; skipped");

// The live definition (tests/db/18 uses the same), for one user.
const LIVE = `
  select distinct rp.permission, m.tenant_id::text
  from public.memberships m
  join public.role_permissions rp on rp.role = m.role
  join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
  where m.user_id = $1
  order by 1, 2`;
const STORED = `select permission, tenant_id::text from private.tenant_access where user_id = $1 order by 1, 2`;

/** A throwaway role name (letters and underscores only, as roles_name_check wants). */
function raceRole(): string {
  return "race_" + Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => String.fromCharCode(97 + (b % 26))).join("");
}

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: env.testDbUrl });
  await c.connect();
  return c;
}

async function newTenant(c: pg.Client): Promise<string> {
  const id = crypto.randomUUID();
  await c.query("insert into public.tenants (id, name, slug) values ($1, 'Race Ltd', $2)", [id, `race-${id}`]);
  return id;
}

async function newUser(c: pg.Client): Promise<string> {
  const id = crypto.randomUUID();
  await c.query("insert into auth.users (id, email, aud, role) values ($1, $2, 'authenticated', 'authenticated')", [
    id, `race-${id}@test.kazi.example`,
  ]);
  return id;
}

/** Starts q on c; reports whether it is still waiting after 300 ms, then lets it finish. */
async function startWaiting(c: pg.Client, text: string, values: unknown[]) {
  const settled = c.query(text, values).then(() => null, (err: { code?: string }) => err.code ?? String(err));
  const waited = await Promise.race([settled.then(() => false), new Promise((r) => setTimeout(() => r(true), 300))]);
  return { waited, finished: settled };
}

async function race(
  name: string,
  body: (admin: pg.Client, first: pg.Client, second: pg.Client) => Promise<void>,
) {
  Deno.test({ name: `tenant access under concurrent writes: ${name}`, ignore, sanitizeResources: false, sanitizeOps: false, fn: async () => {
    const [admin, first, second] = await Promise.all([connect(), connect(), connect()]);
    try {
      await body(admin, first, second);
    } finally {
      await Promise.all([first, second].map((c) => c.query("rollback").catch(() => {})));
      await Promise.all([admin, first, second].map((c) => c.end()));
    }
  } });
}

async function assertLive(admin: pg.Client, user: string, message: string) {
  const live = (await admin.query(LIVE, [user])).rows;
  const stored = (await admin.query(STORED, [user])).rows;
  assert.deepEqual(stored, live, message);
}

// The same user loses a membership in one session and gains one in another,
// in either order: the second session's refresh must wait and recompute.
for (const removedFirst of [true, false]) {
  const name = removedFirst
    ? "a membership removed while another is added for the same user"
    : "a membership added while another is removed for the same user";
  race(name, async (admin, first, second) => {
    const [t1, t2, user] = [await newTenant(admin), await newTenant(admin), await newUser(admin)];
    await admin.query("insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'hr_manager')", [t1, user]);
    const remove = ["delete from public.memberships where tenant_id = $1 and user_id = $2", [t1, user]] as const;
    const add = ["insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'employee')", [t2, user]] as const;
    const [early, late] = removedFirst ? [remove, add] : [add, remove];

    await first.query("begin");
    await first.query(early[0], [...early[1]]);
    await second.query("begin");
    const waiting = await startWaiting(second, late[0], [...late[1]]);
    assert.equal(waiting.waited, true, "the second refresh of the user waits for the first transaction");
    await first.query("commit");
    assert.equal(await waiting.finished, null, "and then recomputes instead of colliding with the first one's rows");
    await second.query("commit");

    await assertLive(admin, user, "access rows follow both committed changes");
    const tenants = (await admin.query(STORED, [user])).rows.map((r) => r.tenant_id);
    assert.ok(!tenants.includes(t1), "the removed membership's tenant is not readable");
    assert.ok(tenants.includes(t2), "the added membership's tenant is");
  });
}

race("a tenant soft-deleted while a member is added to it", async (admin, first, second) => {
  const [tenant, user] = [await newTenant(admin), await newUser(admin)];

  await first.query("begin");
  await first.query("update public.tenants set deleted_at = now() where id = $1", [tenant]);
  await second.query("begin");
  const add = await startWaiting(second, "insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'admin')", [tenant, user]);
  assert.equal(add.waited, true, "the new member's refresh waits for the soft delete");
  await first.query("commit");
  await add.finished; // refused or not, the member must not reach the deleted tenant
  await second.query("commit").catch(() => {});

  await assertLive(admin, user, "access rows follow the committed soft delete");
  assert.equal((await admin.query(STORED, [user])).rowCount, 0, "nobody reaches a soft-deleted tenant");
});

race("a role loses a permission while a member with that role is added", async (admin, first, second) => {
  const [tenant, user] = [await newTenant(admin), await newUser(admin)];
  const role = raceRole();
  await admin.query("insert into public.roles (name, scope, rank) values ($1, 'tenant', 5)", [role]);
  await admin.query("insert into public.role_permissions (role, permission) values ($1, 'tenant.read'), ($1, 'employees.read')", [role]);
  try {
    await first.query("begin");
    await first.query("delete from public.role_permissions where role = $1 and permission = 'employees.read'", [role]);
    await second.query("begin");
    const add = await startWaiting(second, "insert into public.memberships (tenant_id, user_id, role) values ($1, $2, $3)", [tenant, user, role]);
    assert.equal(add.waited, true, "membership writes wait while a role's permissions change");
    await first.query("commit");
    assert.equal(await add.finished, null);
    await second.query("commit");

    await assertLive(admin, user, "access rows follow the committed permission change");
    const permissions = (await admin.query(STORED, [user])).rows.map((r) => r.permission);
    assert.deepEqual(permissions, ["tenant.read"], "the removed permission is not granted to the new member");
  } finally {
    await admin.query("delete from public.memberships where role = $1", [role]);
    await admin.query("delete from public.role_permissions where role = $1", [role]);
    await admin.query("delete from public.roles where name = $1", [role]);
  }
});

race("a role's permissions cannot change under repeatable read", async (admin, first) => {
  const role = raceRole();
  await admin.query("insert into public.roles (name, scope, rank) values ($1, 'tenant', 5)", [role]);
  try {
    await first.query("begin isolation level repeatable read");
    await assert.rejects(
      first.query("insert into public.role_permissions (role, permission) values ($1, 'tenant.read')", [role]),
      (err: { code?: string }) => err.code === "40001",
    );
    await first.query("rollback");
  } finally {
    await admin.query("delete from public.roles where name = $1", [role]);
  }
});
