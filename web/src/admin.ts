/// <reference lib="dom" />
// Admin Portal: a tenant's employees with masked protected fields, and the
// one way to see a plaintext value — reveal one field with a reason. The
// reason is mandatory (the server refuses a missing or short one and the
// message shows under the reason box); every reveal is audited server-side.
// A revealed value is shown until hidden or for 30 seconds, whichever is first.
import type { AdminRoutes, CallOutput } from "../../packages/kazi-client/src/mod.ts";
import { byId, clearFieldErrors, el, firstLoad, guarded, latest } from "./dom.ts";
import { kazi, showWho } from "./session.ts";

type Employee = CallOutput<AdminRoutes["getEmployee"]>;

const REVEAL_VISIBLE_MS = 30_000;
const form = byId<HTMLFormElement>("reveal-form");
let target: { tenantId: string; employee: Employee } | null = null;
let hideTimer: ReturnType<typeof setTimeout> | undefined;

function hideValue() {
  clearTimeout(hideTimer);
  byId("revealed").textContent = "";
  byId("revealed").hidden = true;
}

function pickForReveal(tenantId: string, employee: Employee) {
  target = { tenantId, employee };
  hideValue();
  clearFieldErrors(form);
  byId<HTMLTextAreaElement>("reveal-reason").value = "";
  byId("reveal-who").textContent = `${employee.first_name} ${employee.last_name} (${employee.employee_number})`;
  form.hidden = false;
}

async function loadEmployees(tenantId: string) {
  const current = latest("employees");
  const page = await kazi().admin.listEmployees({ params: { tenantId }, query: { limit: 50 } });
  if (!current()) return;
  byId("employees").replaceChildren(
    ...page.items.map((e) => {
      const button = el("button", { type: "button", class: "reveal" }, "Reveal…");
      button.addEventListener("click", () => pickForReveal(tenantId, e));
      return el(
        "tr",
        { "data-employee-id": e.id },
        el("td", {}, `${e.first_name} ${e.last_name}`),
        el("td", {}, e.employee_number),
        el("td", { class: "masked-phone" }, e.masked.phone ?? "—"),
        el("td", {}, e.masked.kra_pin ?? "—"),
        el("td", {}, button),
      );
    }),
  );
}

async function loadTenants() {
  const { items } = await kazi().admin.listTenants({ query: { limit: 100 } });
  const select = byId<HTMLSelectElement>("tenant");
  select.replaceChildren(...items.map((t) => el("option", { value: t.id }, `${t.name} (${t.my_role ?? "staff"})`)));
  if (items.length) await loadEmployees(items[0].id);
}

byId("tenant").addEventListener("change", (e) => {
  form.hidden = true;
  void guarded(() => loadEmployees((e.target as HTMLSelectElement).value));
});

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!target) return;
  const { tenantId, employee } = target;
  const field = byId<HTMLSelectElement>("reveal-field").value as "kra_pin" | "national_id" | "phone" | "bank_account";
  const reason = byId<HTMLTextAreaElement>("reveal-reason").value;
  hideValue();
  void guarded(async () => {
    const revealed = await kazi().admin.revealPii({
      params: { tenantId, employeeId: employee.id },
      body: { field, reason },
    });
    clearFieldErrors(form);
    const out = byId("revealed");
    out.textContent = revealed.value;
    out.dataset.field = revealed.field;
    out.hidden = false;
    hideTimer = setTimeout(hideValue, REVEAL_VISIBLE_MS);
  }, form);
});
byId("hide-value").addEventListener("click", hideValue);

if (showWho()) void firstLoad(loadTenants);
