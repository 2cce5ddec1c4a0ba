import type { VelocityFeatures } from '../features.ts';
import type { Transaction } from '../transaction.ts';
import type { LoadedModel } from './artifact.ts';
import { anomalyScore } from './forest.ts';
import { MODEL_FEATURES, modelFeatures } from './model-features.ts';

/** A loaded model that scores transactions: what the scoring pipeline calls. */
export interface TransactionModel {
  /** `<name>-<version>` of the artifact. */
  readonly version: string;
  readonly meta: LoadedModel['meta'];
  readonly forest: LoadedModel['forest'];
  score(tx: Transaction, features: VelocityFeatures): number;
}

/** `<name>-<version>`: the model_version answers carry. */
export function modelVersion(meta: Pick<LoadedModel['meta'], 'name' | 'version'>): string {
  return `${meta.name}-${meta.version}`;
}

/**
 * Binds a validated artifact to the transaction features. Refuses a model trained on other
 * features or another order, naming the first difference: its scores would mean nothing.
 */
export function bindTransactionModel(model: LoadedModel): TransactionModel {
  const expected: readonly string[] = MODEL_FEATURES;
  const got = model.meta.features;
  const k = expected.findIndex((name, i) => got[i] !== name);
  if (k >= 0 || got.length !== expected.length) {
    const at = k >= 0 ? k : expected.length;
    throw new RangeError(
      `model features differ from this service's at position ${at}: the model has ` +
        `${JSON.stringify(got[at] ?? null)}, the service computes ${JSON.stringify(expected[at] ?? null)} ` +
        `(expected ${expected.join(', ')})`,
    );
  }
  const { forest } = model;
  // One vector reused across calls: scoring is synchronous, so calls never overlap.
  const x = new Float64Array(expected.length);
  return {
    version: modelVersion(model.meta),
    meta: model.meta,
    forest,
    score(tx, features) {
      return anomalyScore(forest, modelFeatures(tx, features, x));
    },
  };
}
