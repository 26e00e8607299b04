// The client's own logic, without a server: path and query building, reading
// the error envelope, and taking the access token from a supabase-js session.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { fillPath, queryString } from "../src/client.ts";
import { errorFromResponse, KaziApiError } from "../src/errors.ts";
import { sessionAccessToken } from "../src/supabase.ts";

Deno.test("fillPath encodes each parameter and refuses a missing one", () => {
  assert.equal(
    fillPath("/tenants/{tenantId}/employees/{employeeId}", { tenantId: "a/b", employeeId: "c d" }),
    "/tenants/a%2Fb/employees/c%20d",
  );
  assert.throws(() => fillPath("/tenants/{tenantId}", {}), /missing path parameter tenantId/);
  assert.throws(() => fillPath("/tenants/{tenantId}", { tenantId: "" }), /missing path parameter tenantId/);
});

Deno.test("queryString drops undefined and null, keeps 0 and false", () => {
  assert.equal(
    queryString({ limit: 0, cursor: undefined, q: null, open: false, s: "a&b" }),
    "?limit=0&open=false&s=a%26b",
  );
  assert.equal(queryString({}), "");
  assert.equal(queryString(undefined), "");
});

Deno.test("errorFromResponse carries the envelope and the status; fields only for invalid_input", async () => {
  const envelope = {
    error: {
      code: "invalid_input",
      message: "The request body is not valid.",
      details: { target: "json", fields: { kra_pin: "Invalid KRA PIN", n: 3 } },
      request_id: "req-1",
    },
  };
  const err = await errorFromResponse(Response.json(envelope, { status: 400 }));
  assert.ok(err instanceof KaziApiError);
  assert.equal(err.name, "KaziApiError");
  assert.equal(err.status, 400);
  assert.equal(err.code, "invalid_input");
  assert.equal(err.message, "The request body is not valid.");
  assert.equal(err.request_id, "req-1");
  assert.deepEqual(err.fields, { kra_pin: "Invalid KRA PIN" });

  const forbidden = await errorFromResponse(
    Response.json({ error: { code: "forbidden", message: "No", details: { fields: { a: "x" } }, request_id: null } }, {
      status: 403,
    }),
  );
  assert.deepEqual(forbidden.fields, {}, "fields belong to invalid_input only");
});

Deno.test("a response without our envelope becomes unexpected_response, with the gateway's request id", async () => {
  const err = await errorFromResponse(
    new Response("<html>Bad gateway</html>", { status: 502, headers: { "x-request-id": "gw-9" } }),
  );
  assert.equal(err.code, "unexpected_response");
  assert.equal(err.status, 502);
  assert.equal(err.request_id, "gw-9");
  assert.ok(!err.message.includes("<html>"), "a proxy's page is never shown");
});

Deno.test("sessionAccessToken reads the signed-in user's token from a real supabase-js client", async () => {
  const store = new Map<string, string>();
  const storageKey = "kazi-client-test";
  const signedIn = () =>
    createClient("http://127.0.0.1:1", "anon-key-for-a-closed-port", {
      auth: {
        storageKey,
        storage: {
          getItem: (k) => store.get(k) ?? null,
          setItem: (k, v) => void store.set(k, v),
          removeItem: (k) => void store.delete(k),
        },
        persistSession: true,
        autoRefreshToken: false,
        detectSessionInUrl: false,
      },
    });
  assert.equal(await sessionAccessToken(signedIn())(), null, "signed out: no token");

  const now = Math.floor(Date.now() / 1000);
  store.set(
    storageKey,
    JSON.stringify({
      access_token: "header.payload.signature",
      refresh_token: "r",
      token_type: "bearer",
      expires_in: 3600,
      expires_at: now + 3600,
      user: {
        id: crypto.randomUUID(),
        aud: "authenticated",
        app_metadata: {},
        user_metadata: {},
        created_at: new Date().toISOString(),
      },
    }),
  );
  assert.equal(await sessionAccessToken(signedIn())(), "header.payload.signature");
});
