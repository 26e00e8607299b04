// Attack 2, tenancy over HTTP: every route of admin, onboarding and support
// (discovered from their OpenAPI documents) is called by tenant B's people —
// its owner, an employee, and a support agent granted access to B only —
// aimed at tenant A: A's ids in the path, A's objects through B's own tenant
// path, guessed ids, A's tenant and ids in query filters and bodies. No
// answer discloses anything of A, no answer is a 5xx, a route whose path
// names A's objects answers 403 or 404, every 403 is audited, and nothing of
// A changes.
import assert from "node:assert/strict";
import { attackTest, withWorld } from "./_support/attack-test.ts";
import { assertEnvelope, auditOf, tagged } from "./_support/http.ts";
import { API_FUNCTIONS, discoverRoutes, exampleOf, fillPath, type Route } from "./_support/openapi.ts";
import { disclosed, snapshotTenant, type VictimIds, type World } from "./_support/world.ts";

// Which victim id a path parameter names. A new parameter name fails the test
// until it is added here, so no route escapes the suite.
const PARAM_IDS: Record<string, keyof VictimIds> = {
  tenantId: "tenantId",
  employeeId: "employeeId",
  userId: "memberId",
  invitationId: "invitationId",
  jobId: "jobId",
  caseId: "caseId",
  ticketId: "ticketId",
  grantId: "grantId",
};

// A uuid body or query property, by name, aimed at A.
function victimUuid(ids: VictimIds, w: World) {
  return (name: string) =>
    name === "tenant_id" ? ids.tenantId : /assignee|user|opened_by|actor/.test(name) ? w.a.users.owner.id : ids.employeeId;
}

// Bodies whose example from the schema would not pass validation (so the
// attack would stop at 400 before any authorization): aimed at A instead.
const BODY_OVERRIDES: Record<string, (w: World) => Record<string, unknown>> = {
  "admin POST /tenants/{tenantId}/employees/lookup": (w) => ({ field: "national_id", value: w.a.employees[0].pii.national_id }),
};

interface Variant {
  name: string;
  /** The value of each path parameter. */
  param: (p: string) => string;
  namesVictim: boolean;
}

function variants(w: World): Variant[] {
  const guess = new Map<string, string>();
  return [
    { name: "A's ids", param: (p) => w.ids[PARAM_IDS[p]], namesVictim: true },
    {
      name: "A's objects through B's tenant path",
      param: (p) => (p === "tenantId" ? w.bIds.tenantId : w.ids[PARAM_IDS[p]]),
      namesVictim: true,
    },
    {
      name: "guessed ids in A",
      param: (p) => (p === "tenantId" ? w.ids.tenantId : guess.get(p) ?? (guess.set(p, crypto.randomUUID()), guess.get(p)!)),
      namesVictim: true,
    },
  ];
}

function attackersFor(w: World): { who: string; token: string }[] {
  return [
    { who: "B owner", token: w.tokens.bOwner },
    { who: "B employee", token: w.tokens.bEmployee },
    { who: "agent granted B only", token: w.tokens.agent },
  ];
}

// Platform triage: by design (functions/support/README.md) every support
// agent sees the queue's ticket metadata of every tenant, assigns tickets,
// asks a tenant for access and gives up its own grants, without a grant. These
// are attacked separately: after the "nothing changed" check, and allowed to
// show the metadata (tenant slug, ticket subject) but nothing else of A.
const TRIAGE = new Set([
  "GET /agent/tickets",
  "POST /agent/tickets/{ticketId}/assign",
  "POST /agent/access-grants",
  "GET /agent/access-grants",
  "POST /agent/access-grants/{grantId}/revoke",
]);
const isTriage = (r: Route) => r.fn === "support" && TRIAGE.has(`${r.method} ${r.path}`);

attackTest("tenancy over HTTP: tenant B's owner, employee and agent reach nothing of tenant A through any route", withWorld(async (w) => {
  const routes = (await Promise.all(API_FUNCTIONS.map(discoverRoutes))).flat();
  assert.ok(routes.length >= 40, `routes discovered: ${routes.length}`);
  for (const r of routes) {
    for (const p of r.pathParams) assert.ok(PARAM_IDS[p], `${r.fn} ${r.method} ${r.path}: add path parameter "${p}" to PARAM_IDS`);
  }
  const before = await snapshotTenant(w.db, w.ids.tenantId);
  let attempts = 0;
  const problems: string[] = [];
  const deferred: Route[] = [];
  for (const r of routes) {
    if (r.path === "/openapi.json") continue;
    if (isTriage(r)) deferred.push(r);
    // B's own tenant path is only an attack when the path also names one of A's objects.
    const onlyTenant = r.pathParams.every((p) => p === "tenantId");
    const vs = r.pathParams.length
      ? variants(w).filter((v) => !(onlyTenant && v.name.includes("B's tenant")))
      : [{ name: "A in filters and body", param: () => "", namesVictim: false }];
    for (const v of vs) {
      for (const { who, token } of attackersFor(w).filter((x) => !(isTriage(r) && x.who.startsWith("agent")))) {
        const what = `${who}: ${r.fn} ${r.method} ${r.path} (${v.name})`;
        const uuid = victimUuid(w.ids, w);
        const qs = new URLSearchParams();
        for (const q of r.query) {
          if (q.name === "limit" || q.name === "cursor") continue;
          if (q.schema.format === "uuid" || q.name.endsWith("_id")) qs.set(q.name, uuid(q.name));
          else if (q.name === "q") qs.set(q.name, w.a.employees[0].last_name);
        }
        const path = fillPath(r.path, v.param) + (qs.size ? `?${qs}` : "");
        const override = BODY_OVERRIDES[`${r.fn} ${r.method} ${r.path}`]?.(w);
        const body = r.body ? { ...exampleOf(r.body, uuid) as object, ...override } : undefined;
        const res = await tagged(r.fn, path, { method: r.method, token, body });
        attempts++;
        assert.ok(res.status < 500, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
        const leak = disclosed(JSON.stringify(res.body), w.markers);
        assert.deepEqual(leak, [], `${what}: discloses ${leak.join(", ")}`);
        if (v.namesVictim && ![403, 404].includes(res.status)) {
          problems.push(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        }
        if (res.status >= 400) assertEnvelope(res, what);
        if (res.status === 403) {
          const rows = await auditOf(w.db, res.requestId);
          assert.ok(rows.some((x) => x.outcome === "denied"), `${what}: the refusal is audited`);
        }
      }
    }
  }
  assert.deepEqual(problems, [], "routes naming A's objects answer 403 or 404");
  assert.equal(await snapshotTenant(w.db, w.ids.tenantId), before, "nothing of tenant A changed");
  const beyondTriage = w.markers.filter((m) => !w.triageMetadata.includes(m));
  for (const r of deferred) {
    const uuid = victimUuid(w.ids, w);
    const qs = new URLSearchParams(r.query.some((q) => q.name === "tenant_id") ? { tenant_id: w.ids.tenantId } : {});
    const res = await tagged(r.fn, fillPath(r.path, (p) => w.ids[PARAM_IDS[p]]) + (qs.size ? `?${qs}` : ""), {
      method: r.method, token: w.tokens.agent, body: r.body ? exampleOf(r.body, (n) => (n === "assignee_id" ? w.agent.id : uuid(n))) : undefined,
    });
    attempts++;
    const what = `agent triage ${r.method} ${r.path}`;
    assert.ok(res.status < 500, `${what}: ${res.status}`);
    assert.deepEqual(disclosed(JSON.stringify(res.body), beyondTriage), [], `${what}: only triage metadata`);
  }
  console.log(`tenancy over HTTP: ${routes.length} routes, ${attempts} attempts`);
}));
