// Offboarding a tenant through the served admin function: a platform admin
// soft-deletes it and its data keys are destroyed (crypto-shredding), so its
// PII can never be decrypted again while its rows and audit history stay.
import assert from "node:assert/strict";
import { sql } from "kysely";
import { env, requireEnv } from "./_support/env.ts";
import { callFunction } from "./_support/functions.ts";
import { userToken } from "./_support/tokens.ts";
import { auditEvents, makePlatformStaff, openFixtures, seedTenant } from "../../functions/admin/test-fixtures.ts";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { isCryptoError } from "../../functions/_shared/crypto/errors.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";

const served = requireEnv("KAZI_FUNCTIONS_URL", "KAZI_TEST_DB_URL", "KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY");

// deno-lint-ignore no-explicit-any
type Any = any;
const call = (path: string, o: { token?: string; body?: unknown } = {}) => callFunction<Any>("admin", path, o);

Deno.test({
  name: "admin: POST /tenants/{id}/offboarding soft-deletes the tenant and destroys its keys (audited); 400/401/403/404/422",
  ignore: !served,
  async fn() {
    const f = await openFixtures(env.testDbUrl!, Deno.env.toObject());
    try {
      const t = await seedTenant(f.db, f.vault, 2);
      const kept = await seedTenant(f.db, f.vault, 1);
      const admin = await makePlatformStaff(f.db, "platform_admin");
      const token = await userToken(admin.id);
      const owner = await userToken(t.users.owner.id);
      const path = `/tenants/${t.tenantId}/offboarding`;
      const reason = "Contract ended, data retention period over";
      const keyStates = async (tenantId: string) =>
        (await sql<{ status: string; wrapped: boolean }>`select status, wrapped_key is not null as wrapped
          from private.tenant_data_keys where tenant_id = ${tenantId}::uuid order by version`.execute(f.db)).rows;
      const live = async () =>
        (await sql<{ deleted: boolean }>`select deleted_at is not null as deleted from public.tenants where id = ${t.tenantId}::uuid`
          .execute(f.db)).rows[0].deleted === false;

      // Refusals first: each leaves the tenant and its keys as they were.
      assert.equal((await call(path, { body: { confirm_slug: t.slug, reason } })).status, 401);
      const byOwner = await call(path, { token: owner, body: { confirm_slug: t.slug, reason } });
      assert.equal(byOwner.status, 403, "a tenant owner cannot offboard: it is a platform action");
      assert.equal((await auditEvents(f.db, { tenantId: t.tenantId, action: "tenant.offboarded", actorId: t.users.owner.id, outcome: "denied" })).length, 1);
      const bad = await call(path, { token, body: { confirm_slug: "", reason: "x" } });
      assert.equal(bad.status, 400);
      assert.deepEqual(Object.keys(bad.body.error.details.fields).sort(), ["confirm_slug", "reason"]);
      const wrongSlug = await call(path, { token, body: { confirm_slug: kept.slug, reason } });
      assert.equal(wrongSlug.status, 422, "the slug typed again must be this tenant's");
      assert.equal((await call(`/tenants/${crypto.randomUUID()}/offboarding`, { token, body: { confirm_slug: t.slug, reason } })).status, 404);
      assert.ok(await live(), "nothing changed after the refusals");
      assert.deepEqual(await keyStates(t.tenantId), [{ status: "active", wrapped: true }]);

      const res = await call(path, { token, body: { confirm_slug: t.slug, reason } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.tenant_id, res.body.slug, res.body.keys_destroyed], [t.tenantId, t.slug, 1]);
      assert.ok(!(await live()));
      assert.deepEqual(await keyStates(t.tenantId), [{ status: "destroyed", wrapped: false }]);
      assert.deepEqual(await keyStates(kept.tenantId), [{ status: "active", wrapped: true }], "other tenants keep their keys");

      // The rows stay, unreadable: a vault with every KEK cannot decrypt them.
      const fresh = PiiVault.create(f.db, loadCryptoConfig(Deno.env.toObject()));
      const { rows: [e] } = await sql<{ c: Uint8Array }>`select kra_pin_ciphertext as c from public.employees
        where id = ${t.employees[0].id}::uuid`.execute(f.db);
      await assert.rejects(
        fresh.decryptField({ tenantId: t.tenantId, table: "employees", field: "kra_pin", rowId: t.employees[0].id, ciphertext: new Uint8Array(e.c) }),
        (err) => isCryptoError(err) && err.code === "key_unavailable",
      );
      const list = await call(`/tenants/${t.tenantId}/employees`, { token: owner });
      assert.ok([403, 404].includes(list.status) || list.body.items?.length === 0, "members no longer reach the tenant's employees");

      const [off] = await auditEvents(f.db, { tenantId: t.tenantId, action: "tenant.offboarded", actorId: admin.id, outcome: "success" });
      assert.equal(off.request_id, res.headers.get("x-request-id"));
      assert.equal(off.details.reason, reason);
      const [shred] = await auditEvents(f.db, { tenantId: t.tenantId, action: "pii.tenant_crypto_shredded", actorId: admin.id });
      assert.deepEqual(shred.details, { keys_destroyed: 1 });
      assert.equal(shred.request_id, res.headers.get("x-request-id"));

      // A retry (say after a failure between the two steps) finds nothing left to destroy.
      const again = await call(path, { token, body: { confirm_slug: t.slug, reason } });
      assert.equal(again.status, 200);
      assert.equal(again.body.keys_destroyed, 0);
      assert.equal(again.body.deleted_at, res.body.deleted_at, "the first deletion time is kept");
    } finally {
      await f.close();
    }
  },
});
