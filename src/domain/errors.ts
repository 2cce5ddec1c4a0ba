/**
 * The error catalogue: stable codes that clients may branch on. Transport status is mapped in
 * exactly one place per transport (src/api/http/error-handler.ts, src/api/grpc/status.ts).
 */
export const ERROR_CODES = {
  RISK_ERR_VALIDATION: { retriable: false },
  RISK_ERR_BAD_JSON: { retriable: false },
  RISK_ERR_UNSUPPORTED_MEDIA_TYPE: { retriable: false },
  RISK_ERR_PAYLOAD_TOO_LARGE: { retriable: false },
  /** The request could not be read as HTTP (framing, e.g. Content-Length with chunking). */
  RISK_ERR_BAD_REQUEST: { retriable: false },
  RISK_ERR_HEADERS_TOO_LARGE: { retriable: false },
  /** The whole request did not arrive within the server's request timeout. */
  RISK_ERR_REQUEST_TIMEOUT: { retriable: true },
  RISK_ERR_IDEMPOTENCY_CONFLICT: { retriable: false },
  /** The resource changed since the caller read it (e.g. the active ruleset version). */
  RISK_ERR_CONFLICT: { retriable: false },
  RISK_ERR_UNAUTHORIZED: { retriable: false },
  RISK_ERR_FORBIDDEN: { retriable: false },
  RISK_ERR_NOT_FOUND: { retriable: false },
  /** The path exists, not with this method (HTTP 405 with an Allow header). */
  RISK_ERR_METHOD_NOT_ALLOWED: { retriable: false },
  /** Too many failed sign-ins under a user name or from an address: wait (Retry-After). */
  RISK_ERR_RATE_LIMITED: { retriable: true },
  RISK_ERR_UNAVAILABLE: { retriable: true },
  RISK_ERR_INTERNAL: { retriable: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  /** Where the problem is, as a JSON pointer into the request, e.g. `/amount`. */
  field?: string;
  /** The rule concerned, for ruleset problems. */
  rule?: string;
  message: string;
}

/**
 * At most `max` details, the last of them saying how many more there were: a body with 5,000
 * unknown fields gets a short answer, not one line per field (224 KB).
 */
export function capDetails(details: readonly ErrorDetail[], max: number): readonly ErrorDetail[] {
  if (details.length <= max) return details;
  const more = details.length - (max - 1);
  return [...details.slice(0, max - 1), { message: `and ${more} more problems not listed` }];
}

export class RiskError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, details?: readonly ErrorDetail[], cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RiskError';
    this.code = code;
    this.details = details;
  }

  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }
}

export function isRiskError(err: unknown): err is RiskError {
  return err instanceof RiskError;
}
