// Attack 8, faults: the database goes away in the middle of a run of
// onboarding submissions. A private cluster (never the shared server) is
// migrated, the functions are served against it, and new hires save their
// details and submit while the cluster is restarted with `pg_ctl restart`,
// and then stopped for a moment and started again (a plain restart can be
// quicker than any request in flight; the held outage makes the 503s
// certain). Every answer is a success, a 503 in the envelope, or — for a
// retried submit whose first attempt did commit — the "already submitted"
// refusal; never a 500. Afterwards every case is submitted with exactly the
// values its hire sent (decrypted with the functions' keys): nothing lost,
// nothing half-written. The audit trail is sealed before the run, by a
// sealer calling audit.seal() throughout it (as the pg_cron job does; a seal
// cut off by the restart is simply redone), and once more at the end; then
// every row of the tenant is in exactly one seal and audit.verify_chain finds
// the chain intact.
import assert from "node:assert/strict";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { loadCryptoConfig } from "../../functions/_shared/crypto/config.ts";
import { PiiVault } from "../../functions/_shared/crypto/pii-vault.ts";
import { hashInvitationToken, newInvitationToken } from "../../functions/_shared/invitation-token.ts";
import { requireEnv } from "../integration/_support/env.ts";
import { userToken } from "../integration/_support/tokens.ts";
import { canMakeCluster, createCluster, migrate, serveFunctions } from "./_support/private-cluster.ts";

const ready = requireEnv("KAZI_KEKS", "KAZI_KEK_ACTIVE", "KAZI_BLIND_INDEX_KEY", "KAZI_DEV_JWT_PRIVATE_JWK") && canMakeCluster();

const HIRES = 24;
const RUN_DEADLINE_MS = 120_000;

interface Answer {
  status: number;
  body: { error?: { code: string }; case?: { id: string } } & Record<string, unknown>;
}

async function call(base: string, path: string, token: string, method: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(`${base}/onboarding${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      // a request that hangs instead of failing fast is itself a failure
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  } catch (err) {
    throw new Error(`no answer from the functions (hung or crashed): ${err} ${(err as Error).cause ?? ""}`);
  }
}

const digits = (n: number, i: number) => String(i).padStart(n, "0");

// deno-lint-ignore no-explicit-any
type Db = Kysely<any>;

/** audit.seal() until every audit row of the tenant is sealed (below audit.sealer.sealed_below). */
async function sealTenant(db: Db, tenantId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await sql`select audit.seal()`.execute(db);
    const { rows: [r] } = await sql<{ unsealed: number }>`select count(*)::int as unsealed from audit.events e cross join audit.sealer s
      where e.tenant_id = ${tenantId}::uuid and not e.tx < s.sealed_below`.execute(db);
    if (r.unsealed === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.unsealed} audit rows of the tenant still unsealed after 30 s`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The pg_cron job's stand-in through the outage: audit.seal() every intervalMs from a fresh connection, failures ignored. */
function startSealer(url: string, intervalMs: number): { stop(): Promise<number> } {
  let stopping = false;
  let sealed = 0;
  const loop = (async () => {
    while (!stopping) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
      client.on("error", () => {});
      try {
        await client.connect();
        sealed += (await client.query("select audit.seal() as n")).rows[0].n;
      } catch { /* the database is away: the next tick tries again */ }
      await client.end().catch(() => {});
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return sealed;
    },
  };
}

function detailsFor(i: number) {
  return {
    first_name: `Restart${i}`,
    last_name: `Hire${i}`,
    date_of_birth: "1991-02-03",
    kra_pin: `A${digits(9, 700000000 + i)}K`,
    national_id: digits(8, 30000000 + i),
    phone: `+2547${digits(8, 10000000 + i)}`,
    bank_code: "01",
    branch_code: "094",
    bank_account: digits(12, 500000000000 + i),
  };
}

Deno.test({
  name: "faults: a database restart mid-run gives 503s, then service resumes; no onboarding submission is lost or half-written",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const cluster = await createCluster();
    let served: Awaited<ReturnType<typeof serveFunctions>> | undefined;
    let sealer: ReturnType<typeof startSealer> | undefined;
    const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
    // our own connections are dropped by the restarts too: never an uncaught error
    pool.on("error", () => {});
    pool.on("connect", (c) => void c.on("error", () => {}));
    // deno-lint-ignore no-explicit-any
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    try {
      await migrate(cluster.url);
      served = await serveFunctions(cluster.url);
      const { rows: [t] } = await sql<{ id: string }>`insert into public.tenants (name, slug) values ('Restart Ltd', 'restart-ltd') returning id`.execute(db);
      const hires: { token: string; caseId: string; details: ReturnType<typeof detailsFor> }[] = [];
      for (let i = 0; i < HIRES; i++) {
        const { rows: [u] } = await sql<{ id: string; email: string }>`insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
          values (gen_random_uuid(), 'authenticated', 'authenticated', ${`hire${i}@restart.kazi.example`}, now(), '{}', '{}') returning id, email`.execute(db);
        const invitation = newInvitationToken();
        await sql`insert into public.invitations (tenant_id, email, role, token_hash, expires_at)
          values (${t.id}::uuid, ${u.email}, 'employee', ${await hashInvitationToken(invitation)}, now() + interval '1 day')`.execute(db);
        const token = await userToken(u.id, { email: u.email });
        const accepted = await call(served.url, "/invitations/accept", token, "POST", { token: invitation });
        assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
        hires.push({ token, caseId: accepted.body.case!.id, details: detailsFor(i) });
      }
      await sealTenant(db, t.id); // the chain has a seal from before the outage
      await pool.end().catch(() => {}); // our own connections would not survive the restart either
      sealer = startSealer(cluster.url, 250);

      const seen = new Map<string, number>();
      const note = (what: string, a: Answer) => {
        const key = `${what} ${a.status}${a.body.error ? ` ${a.body.error.code}` : ""}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      };
      const deadline = Date.now() + RUN_DEADLINE_MS;
      const submit = async (h: (typeof hires)[number], index: number) => {
        await new Promise((r) => setTimeout(r, index * 120)); // spread over the outage
        for (const step of ["save", "submit"] as const) {
          for (;;) {
            if (Date.now() > deadline) throw new Error(`no recovery within ${RUN_DEADLINE_MS} ms`);
            const a = step === "save"
              ? await call(served!.url, `/me/cases/${h.caseId}/details`, h.token, "PUT", h.details)
              : await call(served!.url, `/me/cases/${h.caseId}/submit`, h.token, "POST");
            note(step, a);
            if (a.status === 200) break;
            // a submit whose first attempt committed but whose answer was lost
            if (step === "submit" && (a.status === 409 || a.status === 422)) break;
            assert.equal(a.status, 503, `${step}: only 503 while the database is away, got ${a.status} ${JSON.stringify(a.body)}`);
            assert.equal(a.body.error?.code, "unavailable");
            await new Promise((r) => setTimeout(r, 150));
          }
        }
      };
      const faults = (async () => {
        await new Promise((r) => setTimeout(r, 600));
        await cluster.restart();
        await new Promise((r) => setTimeout(r, 400));
        await cluster.stop();
        await new Promise((r) => setTimeout(r, 2_000)); // held outage
        await cluster.start();
      })();
      try {
        await Promise.all([...hires.map(submit), faults]);
      } catch (err) {
        await faults.catch(() => {});
        const alive = await fetch(`${served.url}/health`).then((r) => `health ${r.status}`, (e) => `health: ${e}`);
        throw new Error(`${err}\n(functions after the failure: ${alive})\n--- functions output (tail) ---\n${served.log().slice(-4000)}`);
      }
      const sealedDuringRun = await sealer.stop();
      const summary = Object.fromEntries([...seen].sort());
      console.log(`restart run: ${JSON.stringify(summary)}; audit rows sealed during the run: ${sealedDuringRun}`);
      assert.ok([...seen.keys()].some((k) => k.endsWith("503 unavailable")), "the outage was seen as 503s");
      assert.ok(![...seen.keys()].some((k) => / 5\d\d/.test(k) && !k.includes("503")), "never another 5xx");

      // nothing lost, nothing half-written
      const check = new pg.Pool({ connectionString: cluster.url, max: 2 });
      // deno-lint-ignore no-explicit-any
      const cdb = new Kysely<any>({ dialect: new PostgresDialect({ pool: check }) });
      try {
        const vault = PiiVault.create(cdb, loadCryptoConfig(Deno.env.toObject()));
        const { rows } = await sql<Record<string, unknown> & { id: string; tenant_id: string; status: string }>`
          select * from public.onboarding_cases where tenant_id = ${t.id}::uuid`.execute(cdb);
        assert.equal(rows.length, HIRES, "every case exists once");
        for (const h of hires) {
          const row = rows.find((r) => r.id === h.caseId)!;
          assert.equal(row.status, "submitted", `${h.caseId} submitted`);
          assert.equal(row.first_name, h.details.first_name);
          assert.equal(row.last_name, h.details.last_name);
          for (const field of ["kra_pin", "national_id", "phone", "bank_account"] as const) {
            const ct = row[`${field}_ciphertext`] as Uint8Array | null;
            assert.ok(ct, `${h.caseId} ${field} stored`);
            const plain = await vault.decryptField({ tenantId: row.tenant_id, table: "onboarding_cases", field, rowId: row.id, ciphertext: new Uint8Array(ct) });
            assert.equal(plain, h.details[field], `${h.caseId} ${field} is what was sent`);
          }
        }
        const { rows: [hist] } = await sql<{ n: number }>`select count(*)::int as n from public.onboarding_case_status_history
          where tenant_id = ${t.id}::uuid and to_status = 'submitted'`.execute(cdb);
        assert.equal(hist.n, HIRES, "one submitted transition per case, none duplicated by a retry");
        // the trail, sealed to its end, then verified
        await sealTenant(cdb, t.id);
        const { rows: [trail] } = await sql<{ rows: number; seals: number; not_once: number }>`
          select (select count(*)::int from audit.events where tenant_id = ${t.id}::uuid) as rows,
                 (select count(*)::int from audit.seals where chain_key = ${t.id}::uuid) as seals,
                 (select count(*)::int from audit.events e where e.tenant_id = ${t.id}::uuid
                    and (select count(*) from audit.seals s cross join lateral unnest(s.event_ids) as u (id)
                          where s.chain_key = ${t.id}::uuid and u.id = e.id) <> 1) as not_once`.execute(cdb);
        console.log(`audit trail: ${trail.rows} rows in ${trail.seals} seals`);
        assert.ok(trail.rows >= HIRES * 2, `the run left an audit trail (${trail.rows} rows)`);
        assert.ok(trail.seals >= 2, `sealed before and after the restarts (${trail.seals} seals)`);
        assert.equal(trail.not_once, 0, "every audit row of the tenant is in exactly one seal");
        const { rows: [chain] } = await sql<{ event_id: string | null; problem: string | null; detail: string | null }>`
          select (f).event_id::text, (f).problem, (f).detail from (select audit.verify_chain(${t.id}::uuid) as f) as v`.execute(cdb);
        assert.deepEqual(chain, { event_id: null, problem: null, detail: null }, "the audit chain survived the restarts intact");
      } finally {
        await cdb.destroy();
      }
    } finally {
      await sealer?.stop();
      await served?.stop();
      await db.destroy().catch(() => {});
      await cluster.destroy();
    }
  },
});
