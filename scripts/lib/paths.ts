import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
// Overridable so the tooling's own tests never touch a developer's files.
export const stateDir = process.env.KAZI_STATE_DIR ?? resolve(repoRoot, ".kazi");
export const envFile = process.env.KAZI_ENV_FILE ?? resolve(repoRoot, ".env.local");
export const shimFile = resolve(repoRoot, "sql", "bootstrap", "supabase-shim.sql");
export const downDir = resolve(repoRoot, "sql", "down");
export const seedFile = resolve(repoRoot, "supabase", "seed.sql");
export const functionsDir = resolve(repoRoot, "functions");
export const bin = (name: string): string => resolve(repoRoot, "node_modules", ".bin", name);
