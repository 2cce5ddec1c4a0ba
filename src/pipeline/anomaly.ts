import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';
import type { Logger } from './logger.ts';
import type { ModelSource } from './model-source.ts';
import type { DegradedReason } from './score-response.ts';

export interface AnomalyOutcome {
  /** `anomaly_score`: null when there is no model, or nothing to score with. */
  score: number | null;
  /** `model_version`: the model that gave `score`; null exactly when `score` is. */
  version: string | null;
}

const NONE: AnomalyOutcome = { score: null, version: null };

/**
 * The model step of scoring. Without velocity features the model is not asked: most of its
 * inputs would be missing and its score would mislead the rules (the answer is already marked
 * `velocity_unavailable`). A model that throws or returns something other than a number in
 * [0, 1] degrades the answer with `model_unavailable` instead of failing it.
 */
export function scoreAnomaly(
  models: ModelSource | undefined,
  tx: Transaction,
  features: VelocityFeatures,
  haveFeatures: boolean,
  degraded: DegradedReason[],
  log: Logger,
): AnomalyOutcome {
  const model = models?.current() ?? null;
  if (model === null || !haveFeatures) return NONE;
  try {
    const score = model.score(tx, features);
    if (score >= 0 && score <= 1) return { score, version: model.version };
    throw new RangeError(`model returned ${score}`);
  } catch (err) {
    degraded.push('model_unavailable');
    log.error(
      { err, transaction_id: tx.transaction_id, model_version: model.version },
      'anomaly model failed',
    );
    return NONE;
  }
}
