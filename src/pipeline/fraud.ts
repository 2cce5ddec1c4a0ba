import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';
import type { FraudModelSource } from './fraud-model-source.ts';
import type { Logger } from './logger.ts';
import type { DegradedReason } from './score-response.ts';

/**
 * The fraud-model step of scoring, before the rules (its probability is the `fraud_probability`
 * fact): null without a model, or without velocity features (the model learnt with them, and
 * would read their absence as a pattern it never saw). A model that throws or answers outside
 * [0, 1] degrades the answer with `model_unavailable` instead of failing it.
 */
export function scoreFraud(
  models: FraudModelSource | undefined,
  tx: Transaction,
  features: VelocityFeatures,
  haveFeatures: boolean,
  degraded: DegradedReason[],
  log: Logger,
): number | null {
  const model = models?.current() ?? null;
  if (model === null || !haveFeatures) return null;
  try {
    const p = model.score(tx, features);
    if (p >= 0 && p <= 1) return p;
    throw new RangeError(`fraud model returned ${p}`);
  } catch (err) {
    if (!degraded.includes('model_unavailable')) degraded.push('model_unavailable');
    log.error(
      { err, transaction_id: tx.transaction_id, fraud_model_version: model.version },
      'fraud model failed',
    );
    return null;
  }
}
