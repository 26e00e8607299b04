/// <reference lib="dom" />
// Support: a tenant member opens a ticket and decides on access requests; a
// platform support agent works the queue, asks for time-boxed access to a
// tenant with a reason, and — only once a tenant admin approved — reads that
// tenant's employees, masked. Which side shows is chosen from the token's
// platform_role hint; the functions enforce who may do what.
import type { CallOutput, SupportRoutes } from "../../packages/kazi-client/src/mod.ts";
import { byId, clearFieldErrors, el, firstLoad, guarded, latest } from "./dom.ts";
import { kazi, showWho } from "./session.ts";

type Grant = CallOutput<SupportRoutes["approveAccessGrant"]>;

function grantItem(g: Grant, ...actions: HTMLElement[]): HTMLLIElement {
  return el(
    "li",
    { "data-grant-id": g.id, "data-state": g.state },
    el("span", { class: "state" }, g.state),
    ` · ${g.reason} · until ${new Date(g.expires_at).toLocaleString()} `,
    ...actions,
  );
}

// ---- tenant side ----------------------------------------------------------

const ticketForm = byId<HTMLFormElement>("ticket-form");
const selectedTenant = () => byId<HTMLSelectElement>("tenant").value;

async function loadTickets(tenantId: string) {
  const current = latest("tickets");
  const page = await kazi().support.listTickets({ params: { tenantId } });
  if (!current()) return;
  byId("tickets").replaceChildren(
    ...page.items.map((t) => el("li", { "data-ticket-id": t.id }, `${t.subject} · ${t.status} · ${t.priority}`)),
  );
}

async function decide(tenantId: string, grantId: string, decision: "approve" | "deny") {
  const params = { tenantId, grantId };
  if (decision === "approve") await kazi().support.approveAccessGrant({ params });
  else await kazi().support.denyAccessGrant({ params });
  await loadGrants(tenantId);
}

async function loadGrants(tenantId: string) {
  const current = latest("grants");
  const { items } = await kazi().support.listAccessGrants({ params: { tenantId } });
  if (!current()) return;
  byId("grants").replaceChildren(
    ...items.map((g) => {
      if (g.state !== "requested") return grantItem(g);
      const approve = el("button", { type: "button", class: "approve" }, "Approve");
      const deny = el("button", { type: "button", class: "deny" }, "Deny");
      approve.addEventListener("click", () => guarded(() => decide(tenantId, g.id, "approve")));
      deny.addEventListener("click", () => guarded(() => decide(tenantId, g.id, "deny")));
      return grantItem(g, approve, deny);
    }),
  );
}

async function loadTenantSide() {
  byId("tenant-side").hidden = false;
  const { items } = await kazi().admin.listTenants({ query: { limit: 100 } });
  byId("tenant").replaceChildren(...items.map((t) => el("option", { value: t.id }, t.name)));
  if (items.length) await Promise.all([loadTickets(items[0].id), loadGrants(items[0].id)]);
}

byId("tenant").addEventListener(
  "change",
  () => void guarded(() => Promise.all([loadTickets(selectedTenant()), loadGrants(selectedTenant())]).then(() => {})),
);
byId("refresh-grants").addEventListener("click", () => void guarded(() => loadGrants(selectedTenant())));

ticketForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const data = new FormData(ticketForm);
  const tenantId = selectedTenant();
  byId("ticket-message").textContent = "";
  void guarded(async () => {
    await kazi().support.openTicket({
      params: { tenantId },
      body: {
        subject: String(data.get("subject") ?? ""),
        body: String(data.get("body") ?? ""),
        priority: String(data.get("priority")) as "low" | "normal" | "high" | "urgent",
      },
      idempotencyKey: crypto.randomUUID(),
    });
    clearFieldErrors(ticketForm);
    ticketForm.reset();
    await loadTickets(tenantId);
    byId("ticket-message").textContent = "Ticket opened";
  }, ticketForm);
});

// ---- agent side -----------------------------------------------------------

const accessForm = byId<HTMLFormElement>("access-form");

const queueFilter = byId<HTMLFormElement>("queue-filter");

async function loadQueue() {
  const tenantId = byId<HTMLInputElement>("queue-tenant").value.trim();
  const current = latest("queue");
  const page = await kazi().support.listQueue({ query: tenantId ? { tenant_id: tenantId } : {} });
  if (!current()) return; // a newer filter was asked for meanwhile
  clearFieldErrors(queueFilter);
  byId("queue").replaceChildren(
    ...page.items.map((t) => {
      const ask = el("button", { type: "button", class: "request-access" }, "Request access…");
      ask.addEventListener("click", () => {
        byId<HTMLInputElement>("access-tenant").value = t.tenant_id;
        byId("access-tenant-name").textContent = t.tenant_name;
        byId<HTMLTextAreaElement>("access-reason").value = `Ticket ${t.id.slice(0, 8)}: `;
        clearFieldErrors(accessForm);
        accessForm.hidden = false;
      });
      return el("li", { "data-ticket-id": t.id }, `${t.tenant_name} · ${t.subject} · ${t.status} `, ask);
    }),
  );
}

async function showEmployees(tenantId: string) {
  const current = latest("agent-employees");
  const page = await kazi().support.listTenantEmployees({ params: { tenantId } });
  if (!current()) return;
  byId("agent-employees").replaceChildren(
    ...page.items.map((e) =>
      el("tr", {}, el("td", {}, `${e.first_name} ${e.last_name}`), el("td", {}, e.masked.phone ?? "—"))
    ),
  );
}

async function loadMyGrants() {
  const current = latest("my-grants");
  const { items } = await kazi().support.listMyAccessGrants();
  if (!current()) return;
  byId("my-grants").replaceChildren(
    ...items.map((g) => {
      if (g.state !== "active") return grantItem(g);
      const view = el("button", { type: "button", class: "view-employees" }, "View employees");
      view.addEventListener("click", () => guarded(() => showEmployees(g.tenant_id)));
      return grantItem(g, view);
    }),
  );
}

accessForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const hours = Number(byId<HTMLInputElement>("access-hours").value);
  void guarded(async () => {
    await kazi().support.requestAccess({
      body: {
        tenant_id: byId<HTMLInputElement>("access-tenant").value,
        reason: byId<HTMLTextAreaElement>("access-reason").value,
        duration_hours: Number.isFinite(hours) ? hours : 0,
      },
      idempotencyKey: crypto.randomUUID(),
    });
    clearFieldErrors(accessForm);
    accessForm.hidden = true;
    await loadMyGrants();
  }, accessForm);
});
queueFilter.addEventListener("submit", (e) => {
  e.preventDefault();
  void guarded(loadQueue, queueFilter);
});
byId("refresh-my-grants").addEventListener("click", () => void guarded(loadMyGrants));

async function loadAgentSide() {
  byId("agent-side").hidden = false;
  await Promise.all([loadQueue(), loadMyGrants()]);
}

const who = showWho();
if (who) void firstLoad(who.app_metadata?.platform_role ? loadAgentSide : loadTenantSide);
