/**
 * Errors of the crypto layer. Callers branch on `code`, never on the message.
 *
 * - `integrity_error`: a ciphertext (or wrapped key) failed to authenticate or
 *   could not be parsed. Deliberately carries no detail: which check failed is
 *   exactly what an attacker would like to learn.
 * - `crypto_config_error`: secrets missing or malformed at boot. The message
 *   names the variable, never its value.
 * - `key_unavailable`: the data key needed is destroyed (crypto-shredded) or
 *   absent; the data is gone by design.
 */
export type CryptoErrorCode = "integrity_error" | "crypto_config_error" | "key_unavailable";

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
  }
}

/** The one integrity error. Same message for every cause. */
export function integrityError(): CryptoError {
  return new CryptoError("integrity_error", "ciphertext failed integrity check");
}

export function configError(variable: string, problem: string): CryptoError {
  return new CryptoError("crypto_config_error", `${variable}: ${problem}`);
}

export function keyUnavailable(): CryptoError {
  return new CryptoError("key_unavailable", "the data key for this value is not available");
}

export function isCryptoError(err: unknown): err is CryptoError {
  return err instanceof Error && (err as Partial<CryptoError>).name === "CryptoError" &&
    typeof (err as Partial<CryptoError>).code === "string";
}
