// The generated `Database` type plugs into supabase-js: `deno check` (run by
// `npm test` over tests/) fails if a query on a real column stops
// type-checking or one on a missing column starts to. Building a query sends
// nothing, so the test needs no server.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import type { Database, Tables, TablesInsert } from "../../packages/kazi-client/src/database.types.ts";

Deno.test("the generated Database type types supabase-js queries, inserts and RPCs", () => {
  const sb = createClient<Database>("http://127.0.0.1:1", "anon-key-not-used", { auth: { persistSession: false } });
  const list = sb.from("employees").select("id, first_name, kra_pin_ciphertext").eq("status", "active");
  // @ts-expect-error: a column the schema does not have
  sb.from("employees").select("*").eq("no_such_column", 1);
  // @ts-expect-error: a table the API does not expose (private schema)
  sb.from("tenant_data_keys").select("*");
  const tenant: TablesInsert<"tenants"> = { name: "Baraka Foods", slug: "baraka-foods" };
  // @ts-expect-error: slug is required on insert
  const incomplete: TablesInsert<"tenants"> = { name: "No slug" };
  const row: Pick<Tables<"employees">, "first_name" | "deleted_at"> = { first_name: "Achieng", deleted_at: null };
  const rpc = sb.rpc("list_audit_events", { tenant_id: "00000000-0000-4000-8000-000000000000", page_size: 10 });
  assert.equal(typeof list.then, "function");
  assert.equal(typeof rpc.then, "function");
  assert.ok(tenant.slug && incomplete.name && row.first_name);
});
