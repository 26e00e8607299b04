/// <reference lib="dom" />
// Small DOM helpers shared by the pages (no framework: these are reference
// pages for the API, not a UI kit). Text is always set with textContent, so
// nothing from the server is ever parsed as HTML.
import { isKaziApiError } from "../../packages/kazi-client/src/mod.ts";

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** The envelope's message and request id, for a page-level alert. */
export function describe(err: unknown): string {
  if (isKaziApiError(err)) return `${err.message} (${err.code}${err.request_id ? `, request ${err.request_id}` : ""})`;
  return err instanceof Error ? err.message : "Something went wrong";
}

/**
 * Puts each `details.fields` message of an invalid_input error under its input
 * (elements `[data-error-for=<field>]` inside the form) and marks the input
 * aria-invalid; clears the others. Returns true when at least one field matched.
 */
export function showFieldErrors(form: HTMLElement, err: unknown): boolean {
  const fields = isKaziApiError(err) ? err.fields : {};
  let matched = false;
  for (const slot of form.querySelectorAll<HTMLElement>("[data-error-for]")) {
    const name = slot.dataset.errorFor!;
    const message = fields[name] ?? "";
    slot.textContent = message;
    const input = form.querySelector<HTMLElement>(`[name="${name}"]`);
    if (message) {
      matched = true;
      input?.setAttribute("aria-invalid", "true");
    } else {
      input?.removeAttribute("aria-invalid");
    }
  }
  return matched;
}

export function clearFieldErrors(form: HTMLElement): void {
  showFieldErrors(form, null);
}

/** Runs an action, showing a failure in #error (unless it was a field error shown inline). */
export async function guarded(action: () => Promise<void>, form?: HTMLElement): Promise<void> {
  const alert = byId("error");
  alert.textContent = "";
  try {
    await action();
  } catch (err) {
    if (form && showFieldErrors(form, err)) return;
    alert.textContent = describe(err);
  }
}

const generations = new Map<string, number>();

/**
 * Latest-wins for a list that several actions reload: call before fetching,
 * render only if the returned check is still true (a slower, older load must
 * not overwrite a newer one).
 */
export function latest(list: string): () => boolean {
  const generation = (generations.get(list) ?? 0) + 1;
  generations.set(list, generation);
  return () => generations.get(list) === generation;
}

/** Marks the page's first load as done (`body[data-loaded]`), whatever its outcome. */
export async function firstLoad(load: () => Promise<void>): Promise<void> {
  await guarded(load);
  document.body.dataset.loaded = "true";
}
