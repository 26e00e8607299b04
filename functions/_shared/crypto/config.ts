/**
 * Crypto configuration, parsed once at boot with zod. Missing or malformed
 * secrets throw `crypto_config_error` naming the variable, never its value
 * (zod issues are summarised by path only, so no secret reaches a log line).
 *
 *   KAZI_KEKS              "1:<base64 32 bytes>,2:<base64 32 bytes>"   (required)
 *   KAZI_KEK_ACTIVE        KEK version used to wrap new data keys      (required)
 *   KAZI_BLIND_INDEX_KEY   base64 of 32 bytes, separate from the KEKs  (required)
 *   KAZI_DEK_MAX_ENCRYPTIONS  per data key before automatic rotation  (default 2^30)
 *   KAZI_DEK_RESERVE_BATCH    encryptions reserved per DB round trip  (default 1000)
 *   KAZI_DEK_CACHE_TTL_MS     unwrapped data key cache TTL           (default 300000)
 *   KAZI_DEK_CACHE_MAX        unwrapped data key cache entries       (default 1000)
 *   KAZI_MASK_CACHE_MAX       masked values kept for lists, 0 = off  (default 50000; same TTL as data keys)
 */
import { z } from "zod";
import { base64ToBytes } from "./bytes.ts";
import { configError } from "./errors.ts";

export interface CryptoConfig {
  keks: Map<number, Uint8Array>;
  activeKekVersion: number;
  blindIndexKey: Uint8Array;
  maxEncryptionsPerKey: number;
  reserveBatch: number;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  maskCacheMaxEntries: number;
}

const version = z.coerce.number().int().min(1).max(0xffffffff);
const key32 = z.string().trim().check((ctx) => {
  let ok = false;
  try {
    ok = /^[A-Za-z0-9+/]+={0,2}$/.test(ctx.value) && base64ToBytes(ctx.value).byteLength === 32;
  } catch { /* not base64 */ }
  if (!ok) ctx.issues.push({ code: "custom", message: "must be base64 of 32 bytes", input: "[redacted]" });
}).transform((s) => base64ToBytes(s));

const keks = z.string().trim().min(1).transform((s, ctx) => {
  const out = new Map<number, Uint8Array>();
  for (const item of s.split(",")) {
    const m = /^\s*(\d+):(.+?)\s*$/.exec(item);
    const v = m ? version.safeParse(m[1]) : undefined;
    const k = m ? key32.safeParse(m[2]) : undefined;
    if (!v?.success || !k?.success) {
      ctx.issues.push({ code: "custom", message: "each entry must be <version>:<base64 32 bytes>", input: "[redacted]" });
      return z.NEVER;
    }
    if (out.has(v.data)) {
      ctx.issues.push({ code: "custom", message: "duplicate KEK version", input: "[redacted]" });
      return z.NEVER;
    }
    out.set(v.data, k.data);
  }
  return out;
});

const positive = (dflt: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(1).max(max).default(dflt);

const schema = z.object({
  KAZI_KEKS: keks,
  KAZI_KEK_ACTIVE: version,
  KAZI_BLIND_INDEX_KEY: key32,
  // NIST SP 800-38D caps random-IV GCM at 2^32 invocations per key; rotate well before.
  KAZI_DEK_MAX_ENCRYPTIONS: positive(2 ** 30, 2 ** 32),
  KAZI_DEK_RESERVE_BATCH: positive(1000, 1_000_000),
  KAZI_DEK_CACHE_TTL_MS: positive(300_000),
  KAZI_DEK_CACHE_MAX: positive(1000),
  KAZI_MASK_CACHE_MAX: z.coerce.number().int().min(0).max(10_000_000).default(50_000),
});

/** Parses the environment (or any record). Throws crypto_config_error, naming only variables. */
export function loadCryptoConfig(env: Record<string, string | undefined>): CryptoConfig {
  const pick = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const r = schema.safeParse(pick);
  if (!r.success) {
    const first = r.error.issues[0];
    const variable = String(first.path[0] ?? "crypto config");
    throw configError(variable, first.code === "invalid_type" ? "missing" : first.message);
  }
  const c = r.data;
  if (!c.KAZI_KEKS.has(c.KAZI_KEK_ACTIVE)) {
    throw configError("KAZI_KEK_ACTIVE", "names a version not present in KAZI_KEKS");
  }
  for (const k of c.KAZI_KEKS.values()) {
    if (bytesSame(k, c.KAZI_BLIND_INDEX_KEY)) {
      throw configError("KAZI_BLIND_INDEX_KEY", "must differ from every KEK");
    }
  }
  return {
    keks: c.KAZI_KEKS,
    activeKekVersion: c.KAZI_KEK_ACTIVE,
    blindIndexKey: c.KAZI_BLIND_INDEX_KEY,
    maxEncryptionsPerKey: c.KAZI_DEK_MAX_ENCRYPTIONS,
    reserveBatch: Math.min(c.KAZI_DEK_RESERVE_BATCH, c.KAZI_DEK_MAX_ENCRYPTIONS),
    cacheTtlMs: c.KAZI_DEK_CACHE_TTL_MS,
    cacheMaxEntries: c.KAZI_DEK_CACHE_MAX,
    maskCacheMaxEntries: c.KAZI_MASK_CACHE_MAX,
  };
}

/** Reads Deno.env (boot time only; handlers never read the environment). */
export function cryptoConfigFromEnv(): CryptoConfig {
  return loadCryptoConfig(Deno.env.toObject());
}

function bytesSame(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}
