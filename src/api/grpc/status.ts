import { Metadata, status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import type { ErrorCode } from '../../domain/errors.ts';
import { ERROR_CODES, RiskError, capDetails, isRiskError } from '../../domain/errors.ts';
import type { ProtoScoreError } from './messages.ts';

/** The one place where error codes become gRPC statuses (HTTP's is src/api/http/error-handler.ts). */
const GRPC_STATUS: Record<ErrorCode, status> = {
  RISK_ERR_VALIDATION: status.INVALID_ARGUMENT,
  RISK_ERR_BAD_JSON: status.INVALID_ARGUMENT,
  // Cannot happen over gRPC (protobuf is the only media type); a caller's error all the same.
  RISK_ERR_UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
  RISK_ERR_PAYLOAD_TOO_LARGE: status.INVALID_ARGUMENT,
  // HTTP framing and timeouts have no gRPC call to map onto (grpc-js handles its own).
  RISK_ERR_BAD_REQUEST: status.INVALID_ARGUMENT,
  RISK_ERR_HEADERS_TOO_LARGE: status.INVALID_ARGUMENT,
  RISK_ERR_REQUEST_TIMEOUT: status.DEADLINE_EXCEEDED,
  RISK_ERR_IDEMPOTENCY_CONFLICT: status.ALREADY_EXISTS,
  RISK_ERR_CONFLICT: status.ABORTED,
  RISK_ERR_UNAUTHORIZED: status.UNAUTHENTICATED,
  RISK_ERR_FORBIDDEN: status.PERMISSION_DENIED,
  RISK_ERR_NOT_FOUND: status.NOT_FOUND,
  RISK_ERR_METHOD_NOT_ALLOWED: status.UNIMPLEMENTED,
  RISK_ERR_RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  RISK_ERR_UNAVAILABLE: status.UNAVAILABLE,
  RISK_ERR_INTERNAL: status.INTERNAL,
};

/** Trailer keys that carry the REST error body's fields next to the gRPC status. */
export const ERROR_CODE_KEY = 'risk-error-code';
export const ERROR_RETRIABLE_KEY = 'risk-error-retriable';
/** UTF-8 JSON array of {field?, message}; binary because a field message may not be ASCII. */
export const ERROR_DETAILS_KEY = 'risk-error-details-bin';

export function grpcStatusOf(code: ErrorCode): status {
  return GRPC_STATUS[code];
}

/**
 * Any failure as a catalogue error. Anything that is not a RiskError is a bug or an unexpected
 * fault: its details belong in the log, and the wire only says RISK_ERR_INTERNAL.
 */
export function asRiskError(err: unknown): RiskError {
  return isRiskError(err)
    ? err
    : new RiskError('RISK_ERR_INTERNAL', 'internal error', undefined, err);
}

/**
 * Problems listed in one gRPC error at most: trailers must stay well under grpc-js's 8 KiB
 * default metadata limit of the receiving side.
 */
export const MAX_GRPC_ERROR_DETAILS = 20;

/** The status a failed unary call ends with: code and message, the REST fields in trailers. */
export function toStatus(err: RiskError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_KEY, err.code);
  metadata.set(ERROR_RETRIABLE_KEY, String(ERROR_CODES[err.code].retriable));
  if (err.details !== undefined && err.details.length > 0) {
    const details = capDetails(err.details, MAX_GRPC_ERROR_DETAILS);
    metadata.set(ERROR_DETAILS_KEY, Buffer.from(JSON.stringify(details), 'utf8'));
  }
  return { code: GRPC_STATUS[err.code], details: err.message, metadata };
}

/** The error item of a ScoreStream answer: the REST error body's `error` object. */
export function toScoreError(err: RiskError): ProtoScoreError {
  return {
    code: err.code,
    message: err.message,
    retriable: ERROR_CODES[err.code].retriable,
    details: capDetails(err.details ?? [], MAX_GRPC_ERROR_DETAILS).map((d) =>
      d.field === undefined ? { message: d.message } : { field: d.field, message: d.message },
    ),
  };
}
