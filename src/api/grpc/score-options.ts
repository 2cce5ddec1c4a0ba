import type { Metadata } from '@grpc/grpc-js';
import { RiskError } from '../../domain/errors.ts';
import type { ScoreOptions } from '../../pipeline/score.ts';

/**
 * Request metadata that asks for explanations, as `?explain=true` does on REST: per call on
 * Score, in the initial metadata of ScoreStream for every transaction of the stream. It is not
 * a Transaction field because Transaction mirrors the REST body, where explain is not part of
 * the transaction (nor of its idempotency payload).
 */
export const EXPLAIN_METADATA_KEY = 'risk-explain';

/**
 * The scoring options a call's metadata asks for. Like REST's query flag, the value is "true"
 * or "false" exactly; anything else, or the key given more than once, is a caller's error.
 */
export function readScoreOptions(metadata: Metadata): ScoreOptions {
  const values = metadata.get(EXPLAIN_METADATA_KEY);
  // Each call's (or stream transaction's) scoring span is a child of the caller's span.
  const traceCarrier = metadata.getMap();
  if (values.length === 0) return { explain: false, transport: 'grpc', traceCarrier };
  const [value] = values;
  if (values.length === 1 && (value === 'true' || value === 'false')) {
    return { explain: value === 'true', transport: 'grpc', traceCarrier };
  }
  const message = values.length === 1 ? 'must be "true" or "false"' : 'must be given once';
  throw new RiskError('RISK_ERR_VALIDATION', `${EXPLAIN_METADATA_KEY}: ${message}`, [
    { field: EXPLAIN_METADATA_KEY, message },
  ]);
}
