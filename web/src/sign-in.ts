/// <reference lib="dom" />
// Sign in with a dev token: paste one (e.g. from `npm run token -- --user …`)
// or pick a user the dev server lists and let it mint one. Minting happens in
// the dev server with the local key; this page only ever holds the token.
import { byId, el, guarded } from "./dom.ts";
import { clearToken, kazi, setToken, showWho } from "./session.ts";

interface DevUser {
  email: string;
  roles: string[];
}

async function verifyAndKeep(token: string): Promise<void> {
  setToken(token);
  try {
    await kazi().onboarding.listMyCases(); // any signed-in user may: proves the token is accepted
  } catch (err) {
    clearToken();
    showWho();
    throw err;
  }
  showWho();
}

async function mint(email: string): Promise<string> {
  const res = await fetch("/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message ?? "Could not sign in");
  return body.access_token as string;
}

async function listUsers(q: string): Promise<void> {
  const res = await fetch(`/dev/users?q=${encodeURIComponent(q)}`);
  const { items } = (await res.json()) as { items: DevUser[] };
  const list = byId("users");
  list.replaceChildren(
    ...items.map((u) => {
      const button = el("button", { type: "button", "data-email": u.email }, "Sign in");
      button.addEventListener("click", () => guarded(async () => verifyAndKeep(await mint(u.email))));
      return el(
        "li",
        {},
        el("span", { class: "email" }, u.email),
        " ",
        el("small", {}, u.roles.join(", ")),
        " ",
        button,
      );
    }),
  );
  if (!items.length) list.append(el("li", {}, "No user matches"));
}

byId("paste-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = byId<HTMLTextAreaElement>("token").value.trim();
  void guarded(() => verifyAndKeep(token));
});
byId("pick-form").addEventListener("submit", (e) => {
  e.preventDefault();
  void guarded(() => listUsers(byId<HTMLInputElement>("user-filter").value.trim()));
});
byId("sign-out").addEventListener("click", () => {
  clearToken();
  showWho();
});
showWho();
