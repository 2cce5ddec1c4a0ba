import type { VelocityFeatures } from '../features.ts';
import type { Transaction } from '../transaction.ts';
import type { LoadedModel } from './artifact.ts';
import { anomalyScore } from './forest.ts';
import { UnknownFeatureError, compileFeatureVector } from './feature-vector.ts';

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
 * Binds a validated artifact to the transaction features it names (feature-vector.ts), in its
 * order: a model trained on a team's own feature config is scored on exactly those features.
 * A name the service cannot compute is refused, naming it: the scores would mean nothing.
 * Missing values are 0, as in training (load-test/model/training-data.ts).
 */
export function bindTransactionModel(model: LoadedModel): TransactionModel {
  let vector;
  try {
    vector = compileFeatureVector(model.meta.features, { missing: 0 });
  } catch (err) {
    if (err instanceof UnknownFeatureError) throw new RangeError(err.message, { cause: err });
    throw err;
  }
  const { forest } = model;
  // One vector reused across calls: scoring is synchronous, so calls never overlap.
  const x = new Float64Array(model.meta.features.length);
  return {
    version: modelVersion(model.meta),
    meta: model.meta,
    forest,
    score(tx, features) {
      return anomalyScore(forest, vector.build(tx, features, x));
    },
  };
}
