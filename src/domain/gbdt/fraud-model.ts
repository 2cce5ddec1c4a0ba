import type { VelocityFeatures } from '../features.ts';
import type { Transaction } from '../transaction.ts';
import { UnknownFeatureError, compileFeatureVector } from '../anomaly/feature-vector.ts';
import type { LoadedGbdt } from './artifact.ts';
import { probability } from './artifact.ts';
import { rawScore } from './trees.ts';

/** A loaded gradient-boosted model bound to the transaction features it names. */
export interface GbdtFraudModel {
  /** `<name>-<version>` of the artifact. */
  readonly version: string;
  readonly meta: LoadedGbdt['meta'];
  /** The probability of fraud, in [0, 1]: the `fraud_probability` fact. */
  score(tx: Transaction, features: VelocityFeatures): number;
}

/**
 * Binds a validated artifact to the service's features; a name the service cannot compute is a
 * RangeError naming it (the model would be scored on garbage). Missing inputs are NaN, as in
 * training (load-test/model/feature-rows.ts), so the trees route them the way they learnt.
 */
export function bindGbdtModel(model: LoadedGbdt): GbdtFraudModel {
  let vector;
  try {
    vector = compileFeatureVector(model.meta.features, { missing: Number.NaN });
  } catch (err) {
    if (err instanceof UnknownFeatureError) throw new RangeError(err.message, { cause: err });
    throw err;
  }
  // One vector reused across calls: scoring is synchronous, so calls never overlap.
  const x = new Float64Array(model.meta.features.length);
  return {
    version: `${model.meta.name}-${model.meta.version}`,
    meta: model.meta,
    score(tx, features) {
      return probability(model, rawScore(model.trees, vector.build(tx, features, x)));
    },
  };
}
