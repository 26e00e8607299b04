/// <reference lib="dom" />
// Onboarding: the new hire fills in their details and submits them. Inputs
// are sent as typed (the server normalises "0712 345 678" to +254712345678);
// a refused field shows the server's message under it, from the envelope's
// details.fields, and nothing is saved. Protected fields are never shown
// back: the inputs' placeholders carry the masked values.
import type { OnboardingRoutes } from "../../packages/kazi-client/src/mod.ts";
import type { CallInput, CallOutput } from "../../packages/kazi-client/src/mod.ts";
import { byId, clearFieldErrors, el, firstLoad, guarded } from "./dom.ts";
import { kazi, showWho } from "./session.ts";

type CaseView = CallOutput<OnboardingRoutes["getMyCase"]>;
type Details = NonNullable<CallInput<OnboardingRoutes["saveMyDetails"]>["body"]>;
type DetailField = keyof Details & string;

const PII = ["kra_pin", "national_id", "phone", "bank_account"] as const;
const FIELDS: { name: DetailField; label: string; hint?: string }[] = [
  { name: "first_name", label: "First name" },
  { name: "last_name", label: "Last name" },
  { name: "other_names", label: "Other names" },
  { name: "date_of_birth", label: "Date of birth", hint: "YYYY-MM-DD" },
  { name: "kra_pin", label: "KRA PIN", hint: "A123456789B" },
  { name: "national_id", label: "National ID" },
  { name: "phone", label: "Phone", hint: "0712 345 678" },
  { name: "bank_code", label: "Bank code", hint: "01" },
  { name: "branch_code", label: "Branch code", hint: "094" },
  { name: "bank_account", label: "Bank account" },
];

const form = byId<HTMLFormElement>("details-form");
let current: CaseView | null = null;

function renderForm() {
  byId("fields").replaceChildren(
    ...FIELDS.map((f) =>
      el(
        "div",
        { class: "field" },
        el("label", { for: `f-${f.name}` }, f.label),
        el("input", { id: `f-${f.name}`, name: f.name, autocomplete: "off", placeholder: f.hint ?? "" }),
        el("p", { class: "field-error", id: `e-${f.name}`, "data-error-for": f.name, "aria-live": "polite" }),
      )
    ),
  );
}

function input(name: string): HTMLInputElement {
  return form.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
}

function show(c: CaseView) {
  current = c;
  byId("case-status").textContent = `Case ${c.id.slice(0, 8)} · ${c.status}`;
  byId("case-status").dataset.status = c.status;
  for (const f of FIELDS) {
    if ((PII as readonly string[]).includes(f.name)) {
      const masked = c.pii[f.name as (typeof PII)[number]];
      input(f.name).value = "";
      input(f.name).placeholder = masked ? `saved: ${masked}` : f.hint ?? "";
    } else {
      input(f.name).value = (c[f.name as keyof CaseView] as string | null) ?? "";
    }
  }
  const editable = c.status === "draft";
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLButtonElement>("input, button")) {
    control.disabled = !editable;
  }
  form.hidden = false;
}

/** Only what the user typed: empty inputs leave the saved value alone. */
function typedDetails(): Details {
  const out: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = input(f.name).value.trim();
    if (v) out[f.name] = v;
  }
  return out as Details;
}

async function load() {
  const { items } = await kazi().onboarding.listMyCases();
  const open = items.find((c) => c.status === "draft") ?? items[0];
  if (!open) {
    byId("case-status").textContent = "You have no onboarding case. Accept an invitation first.";
    return;
  }
  show(open);
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!current) return;
  const caseId = current.id;
  byId("form-message").textContent = "";
  void guarded(async () => {
    const saved = await kazi().onboarding.saveMyDetails({ params: { caseId }, body: typedDetails() });
    clearFieldErrors(form);
    show(saved);
    byId("form-message").textContent = "Saved";
  }, form);
});

byId("submit-case").addEventListener("click", () => {
  if (!current) return;
  const caseId = current.id;
  void guarded(async () => {
    show(await kazi().onboarding.submitMyCase({ params: { caseId } }));
    byId("form-message").textContent = "Submitted for review";
  });
});

renderForm();
if (showWho()) void firstLoad(load);
