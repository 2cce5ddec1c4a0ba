import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';

/** An anomaly model as scoring uses it: a version to report and a score in [0, 1]. */
export interface AnomalyModel {
  readonly version: string;
  score(tx: Transaction, features: VelocityFeatures): number;
}

/**
 * Where the active anomaly model comes from; `current()` is read once per scoring call, so a
 * swap is atomic: a call uses one model from start to end. Null when no model is configured.
 */
export interface ModelSource {
  current(): AnomalyModel | null;
  close(): Promise<void>;
}

/** No model: every answer has `anomaly_score: null` and `model_version: null`. */
export const noModelSource: ModelSource = {
  current: () => null,
  close: () => Promise.resolve(),
};
