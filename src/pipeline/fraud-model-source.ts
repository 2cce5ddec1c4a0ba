import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';

/** A supervised fraud model as scoring uses it: a version and a probability of fraud in [0, 1]. */
export interface FraudModel {
  readonly version: string;
  score(tx: Transaction, features: VelocityFeatures): number;
}

/**
 * Where the active fraud model comes from; read once per scoring call, like ModelSource, so a
 * swap is atomic. Null when no fraud model is configured: `fraud_probability` is then null.
 */
export interface FraudModelSource {
  current(): FraudModel | null;
  close(): Promise<void>;
}

export const noFraudModelSource: FraudModelSource = {
  current: () => null,
  close: () => Promise.resolve(),
};
