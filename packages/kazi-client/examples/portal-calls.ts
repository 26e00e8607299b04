// What a portal does with the client, written so the type checker reads it:
// the README's examples, and the file the schema-change test type-checks
// (a renamed server field must break these lines). Each @ts-expect-error
// proves the client refuses a call the server's schema would refuse.
import type { SupabaseClient } from "@supabase/supabase-js";
import { createKaziClient, type Database, isKaziApiError, type KaziClient } from "../src/mod.ts";

export function portalClient(token: string): KaziClient {
  return createKaziClient({ baseUrl: "/functions/v1", accessToken: () => token });
}

/** Onboarding: save some details, surface field errors inline, submit. */
export async function fillMyCase(kazi: KaziClient, caseId: string): Promise<Record<string, string>> {
  try {
    const saved = await kazi.onboarding.saveMyDetails({
      params: { caseId },
      body: { first_name: "Wanjiru", last_name: "Kamau", kra_pin: "A123456789B", phone: "0712345678" },
    });
    const masked: string | null = saved.pii.phone;
    void masked;
    await kazi.onboarding.submitMyCase({ params: { caseId } });
    return {};
  } catch (err) {
    if (isKaziApiError(err) && err.code === "invalid_input") return err.fields;
    throw err;
  }
}

/** Admin: reveal one protected field; the reason is mandatory. */
export async function revealPhone(kazi: KaziClient, tenantId: string, employeeId: string): Promise<string> {
  const { value, field } = await kazi.admin.revealPii({
    params: { tenantId, employeeId },
    body: { field: "phone", reason: "Payroll query from the employee" },
  });
  const f: "kra_pin" | "national_id" | "phone" | "bank_account" = field;
  void f;
  return value;
}

/** Support: a tenant opens a ticket; an agent asks for access; the tenant approves. */
export async function ticketWithGrant(tenant: KaziClient, agent: KaziClient, tenantId: string): Promise<string> {
  const ticket = await tenant.support.openTicket({
    params: { tenantId },
    body: { subject: "Payslips show the wrong bank", body: "Since March" },
    idempotencyKey: crypto.randomUUID(),
  });
  const grant = await agent.support.requestAccess({
    body: { tenant_id: tenantId, reason: `Investigating ticket ${ticket.id}`, duration_hours: 2 },
  });
  const approved = await tenant.support.approveAccessGrant({ params: { tenantId, grantId: grant.id } });
  return approved.state;
}

export function refusedByTheTypes(kazi: KaziClient) {
  // @ts-expect-error a reveal without a reason
  void kazi.admin.revealPii({ params: { tenantId: "t", employeeId: "e" }, body: { field: "phone" } });
  // @ts-expect-error not a protected field
  void kazi.admin.revealPii({ params: { tenantId: "t", employeeId: "e" }, body: { field: "salary", reason: "x" } });
  // @ts-expect-error SaveDetails is a strict object: unknown fields are refused
  void kazi.onboarding.saveMyDetails({ params: { caseId: "c" }, body: { nickname: "W" } });
  // @ts-expect-error the path parameter is required
  void kazi.onboarding.getMyCase({});
  // @ts-expect-error a priority outside TicketPriority
  void kazi.support.openTicket({ params: { tenantId: "t" }, body: { subject: "s", body: "b", priority: "asap" } });
  // listMyCases needs no input at all
  void kazi.onboarding.listMyCases();
}

/** Ordinary rows go straight to PostgREST, typed by the generated Database type (RLS decides what comes back). */
export async function myTicketSubjects(supabase: SupabaseClient<Database>, tenantId: string): Promise<string[]> {
  const { data, error } = await supabase.from("support_tickets").select("subject, status").eq("tenant_id", tenantId);
  if (error) throw error;
  // @ts-expect-error: subject is a string column
  const wrong: number = data[0].subject;
  void wrong;
  return data.map((t) => t.subject);
}
