// Attack 4, input, over HTTP: every route (discovered from the OpenAPI
// documents) gets fast-check-generated bodies (arbitrary JSON and mutations
// of a valid body), hostile strings in every string body field, query
// parameter and path parameter, oversized and deeply nested bodies, broken
// JSON and the wrong media type. No answer is a 5xx, every error is the
// envelope, and where every answer for a route was an error nothing of the
// tenant changed (no half-written record). Strings a field accepts come back
// byte for byte, from the API and from the table.
import assert from "node:assert/strict";
import fc from "fast-check";
import { sql } from "kysely";
import { callFunction } from "../integration/_support/functions.ts";
import { newHire } from "../integration/onboarding-fixtures.ts";
import { attackTest, withWorld } from "./_support/attack-test.ts";
import { assertEnvelope, tagged, type Tagged } from "./_support/http.ts";
import { INJECTION_STRINGS } from "./_support/injection.ts";
import { API_FUNCTIONS, discoverRoutes, exampleOf, fillPath, type Route } from "./_support/openapi.ts";
import { snapshotTenant, type VictimIds, type World } from "./_support/world.ts";

const PARAM_IDS: Record<string, keyof VictimIds> = {
  tenantId: "tenantId", employeeId: "employeeId", userId: "memberId", invitationId: "invitationId",
  jobId: "jobId", caseId: "caseId", ticketId: "ticketId", grantId: "grantId",
};

/** Who sends a route its (legitimate-looking) requests, and which tenant's ids they use. */
function callerFor(r: Route, w: World): { token: string; ids: VictimIds; tenant: string } {
  if (r.path.startsWith("/agent/")) return { token: w.tokens.agent, ids: w.bIds, tenant: w.bIds.tenantId };
  if (r.path.startsWith("/me/")) return { token: w.caseSubject.token, ids: w.ids, tenant: w.ids.tenantId };
  return { token: w.tokens.aOwner, ids: w.ids, tenant: w.ids.tenantId };
}

const sane = (res: Tagged, what: string) => {
  assert.ok(res.status < 500, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  if (res.status >= 400) assertEnvelope(res, what);
};

/** Runs the calls a few at a time (the machine is shared; the server is one process). */
async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function stringKeys(body: unknown): string[] {
  return body && typeof body === "object" && !Array.isArray(body)
    ? Object.entries(body).filter(([, v]) => typeof v === "string").map(([k]) => k)
    : [];
}

attackTest("input over HTTP: fuzzed bodies, hostile strings, oversized and deep JSON never give a 5xx or a half-written record", withWorld(async (w) => {
  const routes = (await Promise.all(API_FUNCTIONS.map(discoverRoutes))).flat().filter((r) => r.path !== "/openapi.json");
  const counts = { fuzz: 0, injection: 0, limits: 0 };
  for (const r of routes) {
    const who = callerFor(r, w);
    const path = fillPath(r.path, (p) => who.ids[PARAM_IDS[p]] ?? crypto.randomUUID());
    const uuid = (n: string) => (n === "tenant_id" ? who.tenant : n === "assignee_id" ? w.agent.id : who.ids.employeeId);
    const example = r.body ? exampleOf(r.body, uuid) : undefined;
    const before = await snapshotTenant(w.db, who.tenant);
    const statuses: number[] = [];
    const send = async (what: string, o: { path?: string; body?: unknown; raw?: string; headers?: Record<string, string> }) => {
      const res = await tagged(r.fn, o.path ?? path, {
        method: r.method, token: who.token, body: o.raw ?? o.body, headers: o.headers,
      });
      sane(res, `${r.fn} ${r.method} ${r.path} ${what}`);
      statuses.push(res.status);
    };
    const jobs: (() => Promise<void>)[] = [];
    if (r.body) {
      // fast-check: arbitrary JSON, and the valid body with one property replaced, dropped or added
      const mutated = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.tuple(fc.constantFrom(...Object.keys(example as object), "__proto__", "extra"), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
          .map(([k, v, drop]) => {
            const b: Record<string, unknown> = { ...(example as object) };
            if (drop) delete b[k];
            else b[k] = v;
            return b;
          }),
      );
      for (const body of fc.sample(mutated, { numRuns: 10, seed: 42 })) {
        jobs.push(() => send(`fuzz ${JSON.stringify(body).slice(0, 80)}`, { raw: JSON.stringify(body) }));
        counts.fuzz++;
      }
      for (const key of stringKeys(example)) {
        for (const s of INJECTION_STRINGS) {
          jobs.push(() => send(`${key}=${JSON.stringify(s.slice(0, 40))}`, { body: { ...(example as object), [key]: s } }));
          counts.injection++;
        }
      }
      // Size, shape and media-type attacks: each must be refused, and together they write nothing.
      const limits: [string, string, number, Record<string, string>?][] = [
        ["oversized body", JSON.stringify({ ...(example as object), pad: "x".repeat(70 * 1024) }), 413],
        ["deeply nested arrays", "[".repeat(30_000) + "]".repeat(30_000), 400],
        ["deeply nested objects", '{"a":'.repeat(6_000) + "1" + "}".repeat(6_000), 400],
        ["four thousand unknown keys", JSON.stringify(Object.fromEntries(Array.from({ length: 4_000 }, (_, i) => [`k${i}`, i]))), 400],
        ["broken JSON", '{"a": ', 400],
        ["JSON with a trailing value", `${JSON.stringify(example)} {}`, 400],
        ["wrong media type", JSON.stringify(example), 415, { "content-type": "text/plain" }],
        ["form-encoded", "role=owner&tenant_id=x", 415, { "content-type": "application/x-www-form-urlencoded" }],
      ];
      const limitStatuses = await Promise.all(limits.map(async ([what, raw, expected, headers]) => {
        const res = await tagged(r.fn, path, { method: r.method, token: who.token, body: raw, headers });
        sane(res, `${r.fn} ${r.method} ${r.path} ${what}`);
        counts.limits++;
        return `${what}: ${res.status === expected ? "ok" : `${res.status}, expected ${expected}`}`;
      }));
      assert.deepEqual(limitStatuses.filter((x) => !x.endsWith(": ok")), [], `${r.fn} ${r.method} ${r.path}: size/shape/media-type attacks refused`);
      assert.equal(await snapshotTenant(w.db, who.tenant), before, `${r.fn} ${r.method} ${r.path}: refused bodies wrote nothing`);
    }
    for (const q of r.query) {
      for (const s of INJECTION_STRINGS.slice(0, 20)) {
        jobs.push(() => send(`?${q.name}=${JSON.stringify(s.slice(0, 30))}`, { path: `${path}?${new URLSearchParams({ [q.name]: s })}`, body: example }));
        counts.injection++;
      }
    }
    for (const p of r.pathParams) {
      for (const s of INJECTION_STRINGS.slice(0, 16)) {
        const bad = fillPath(r.path, (x) => (x === p ? s : who.ids[PARAM_IDS[x]]));
        jobs.push(() => send(`{${p}}=${JSON.stringify(s.slice(0, 30))}`, { path: bad, body: example }));
        counts.injection++;
      }
    }
    await inBatches(jobs, 6, (j) => j());
    if (statuses.every((s) => s >= 400)) {
      assert.equal(await snapshotTenant(w.db, who.tenant), before, `${r.fn} ${r.method} ${r.path}: refused input wrote nothing`);
    }
  }
  console.log(`input over HTTP: ${routes.length} routes; ${counts.fuzz} fuzzed bodies, ${counts.injection} hostile strings, ${counts.limits} size/shape/media-type attacks`);
}));

attackTest("input over HTTP: every hostile string a text field accepts is stored and returned byte for byte", withWorld(async (w) => {
  const hire = await newHire(w.db, w.ids.tenantId);
  // Fields trim surrounding whitespace by design; the byte-for-byte claim is for what remains.
  const strings = INJECTION_STRINGS.filter((s) => s.trim() === s && s.length <= 100);
  const refused: string[] = [];
  let roundTrips = 0;
  for (const s of strings) {
    const put = await tagged<{ first_name: string }>("onboarding", `/me/cases/${hire.caseId}/details`, {
      method: "PUT", token: hire.user.token, body: { first_name: s, last_name: s, other_names: s },
    });
    sane(put, `case names ${JSON.stringify(s)}`);
    if (put.status !== 200) {
      refused.push(`case: ${JSON.stringify(s)} → ${put.status}`);
      continue;
    }
    const got = await callFunction<{ first_name: string; last_name: string; other_names: string }>("onboarding", `/me/cases/${hire.caseId}`, { token: hire.user.token });
    assert.deepEqual([got.body.first_name, got.body.last_name, got.body.other_names], [s, s, s], `returned byte for byte: ${JSON.stringify(s)}`);
    const { rows: [row] } = await sql<{ first_name: string }>`select first_name from public.onboarding_cases where id = ${hire.caseId}::uuid`.execute(w.db);
    assert.equal(row.first_name, s, `stored byte for byte: ${JSON.stringify(s)}`);
    roundTrips++;
  }
  const ticketStrings = INJECTION_STRINGS.filter((s) => s.trim() === s && s.length <= 200);
  for (const s of ticketStrings) {
    const open = await tagged<{ id: string }>("support", `/tenants/${w.ids.tenantId}/tickets`, {
      token: w.tokens.aOwner, body: { subject: s, body: s },
    });
    sane(open, `ticket ${JSON.stringify(s)}`);
    if (open.status !== 201) {
      refused.push(`ticket: ${JSON.stringify(s)} → ${open.status}`);
      continue;
    }
    const got = await callFunction<{ subject: string; messages: { body: string }[] }>("support", `/tenants/${w.ids.tenantId}/tickets/${open.body.id}`, { token: w.tokens.aOwner });
    assert.equal(got.body.subject, s, `ticket subject byte for byte: ${JSON.stringify(s)}`);
    assert.equal(got.body.messages[0]?.body, s, `ticket message byte for byte: ${JSON.stringify(s)}`);
    roundTrips++;
  }
  console.log(`round trips: ${roundTrips} byte-for-byte, refused with a 4xx: ${refused.length} (${refused.join("; ")})`);
  // Only what is not text at all may be refused: NUL (Postgres text cannot hold it) and lone surrogates.
  const notText = (s: string) => s.includes("\u0000") || !s.isWellFormed();
  assert.deepEqual(
    refused.map((x) => x.replace(/ → 400$/, "")),
    [...strings.filter(notText).map((s) => `case: ${JSON.stringify(s)}`), ...ticketStrings.filter(notText).map((s) => `ticket: ${JSON.stringify(s)}`)],
    "every other hostile string is accepted as text (and round-tripped above)",
  );
}));
