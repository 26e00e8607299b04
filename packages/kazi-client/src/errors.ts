// The one error a Kazi function call can throw: the server's envelope
// {"error":{"code","message","details","request_id"}} plus the HTTP status.
// Callers branch on `code` (stable), never on `message` (for people).
import type { ErrorCode } from "../../../functions/_shared/errors.ts";

/** Server codes, plus two the client makes itself when there is no envelope. */
export type KaziErrorCode = ErrorCode | "network_error" | "unexpected_response";

export interface KaziErrorEnvelope {
  code: KaziErrorCode;
  message: string;
  details: Record<string, unknown>;
  request_id: string | null;
}

export class KaziApiError extends Error implements KaziErrorEnvelope {
  override readonly name = "KaziApiError";
  readonly code: KaziErrorCode;
  readonly details: Record<string, unknown>;
  readonly request_id: string | null;
  /** HTTP status; 0 when the request never got an answer. */
  readonly status: number;

  constructor(status: number, envelope: KaziErrorEnvelope) {
    super(envelope.message);
    this.status = status;
    this.code = envelope.code;
    this.details = envelope.details;
    this.request_id = envelope.request_id;
  }

  /**
   * Field-level messages of an `invalid_input` error, path → message
   * (e.g. {"kra_pin": "Invalid KRA PIN"}); empty for any other error.
   */
  get fields(): Record<string, string> {
    const fields = this.details.fields;
    if (this.code !== "invalid_input" || typeof fields !== "object" || fields === null) return {};
    return Object.fromEntries(Object.entries(fields).filter(([, m]) => typeof m === "string")) as Record<
      string,
      string
    >;
  }
}

export function isKaziApiError(err: unknown): err is KaziApiError {
  return err instanceof KaziApiError;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads an error response; anything that is not our envelope becomes `unexpected_response`. */
export async function errorFromResponse(res: Response): Promise<KaziApiError> {
  let body: unknown = undefined;
  try {
    body = await res.json();
  } catch {
    // not JSON: a proxy or gateway page, never shown to the caller
  }
  const e = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (e && typeof e.code === "string" && typeof e.message === "string") {
    return new KaziApiError(res.status, {
      code: e.code as KaziErrorCode,
      message: e.message,
      details: isRecord(e.details) ? e.details : {},
      request_id: typeof e.request_id === "string" ? e.request_id : res.headers.get("x-request-id"),
    });
  }
  return new KaziApiError(res.status, {
    code: "unexpected_response",
    message: `Unexpected HTTP ${res.status} without an error envelope`,
    details: {},
    request_id: res.headers.get("x-request-id"),
  });
}
