import { parseModelArtifact } from '../domain/anomaly/artifact.ts';
import { GBDT_FORMAT, parseGbdtArtifact } from '../domain/gbdt/artifact.ts';
import type { GbdtFraudModel } from '../domain/gbdt/fraud-model.ts';
import { bindGbdtModel } from '../domain/gbdt/fraud-model.ts';
import type { TransactionModel } from '../domain/anomaly/transaction-model.ts';
import { bindTransactionModel } from '../domain/anomaly/transaction-model.ts';
import type { ArtifactCheck, ModelRoleSpec } from '../pipeline/model-roles.ts';
import { artifactDetails } from '../pipeline/model-roles.ts';

/** An isolation forest artifact (`risk-iforest/1`), validated and bound to the features. */
function parseAnomalyArtifact(json: unknown): ArtifactCheck<TransactionModel> {
  const parsed = parseModelArtifact(json);
  if (!parsed.ok) return { ok: false, errors: artifactDetails(parsed.errors) };
  try {
    return { ok: true, model: bindTransactionModel(parsed.model) };
  } catch (err) {
    return {
      ok: false,
      errors: [{ field: '/features', message: err instanceof Error ? err.message : String(err) }],
    };
  }
}

/** The anomaly role: `anomaly_score`, the isolation forest (DESIGN.md §1 step 4). */
export const anomalyRole: ModelRoleSpec<TransactionModel> = {
  format: 'risk-iforest/1',
  parse: parseAnomalyArtifact,
  shadowScore(shadow, active, sample) {
    // As the active model: not asked without velocity features (see pipeline/anomaly.ts).
    if (sample.response?.degraded_reasons?.includes('velocity_unavailable') === true) return null;
    const score = shadow.score(sample.transaction, sample.features);
    if (!(score >= 0 && score <= 1)) return null;
    const activeScore = sample.anomaly_score;
    return {
      score,
      flagged: score >= shadow.meta.threshold.score,
      activeFlagged:
        active === null || activeScore === null ? null : activeScore >= active.meta.threshold.score,
    };
  },
};

/** A shadow or active fraud probability at or above this counts as "fraud" for disagreement. */
export const FRAUD_DISAGREEMENT_AT = 0.5;

/** A gradient-boosted artifact (`risk-gbdt/1`), validated and bound to the features. */
function parseFraudArtifact(json: unknown): ArtifactCheck<GbdtFraudModel> {
  const parsed = parseGbdtArtifact(json);
  if (!parsed.ok) return { ok: false, errors: artifactDetails(parsed.errors) };
  try {
    return { ok: true, model: bindGbdtModel(parsed.model) };
  } catch (err) {
    return {
      ok: false,
      errors: [{ field: '/features', message: err instanceof Error ? err.message : String(err) }],
    };
  }
}

/** The fraud role: the supervised model whose probability is the `fraud_probability` fact. */
export const fraudRole: ModelRoleSpec<GbdtFraudModel> = {
  format: GBDT_FORMAT,
  parse: parseFraudArtifact,
  shadowScore(shadow, active, sample) {
    // As the active model: not asked without velocity features (see pipeline/fraud.ts).
    if (sample.response?.degraded_reasons?.includes('velocity_unavailable') === true) return null;
    const score = shadow.score(sample.transaction, sample.features);
    if (!(score >= 0 && score <= 1)) return null;
    const activeScore = sample.fraud_probability ?? null;
    return {
      score,
      flagged: score >= FRAUD_DISAGREEMENT_AT,
      activeFlagged:
        active === null || activeScore === null ? null : activeScore >= FRAUD_DISAGREEMENT_AT,
    };
  },
};

/**
 * The model registry's roles: role → its artifact parser and scoring use; the scorer reads
 * `live.source('anomaly')` for `anomaly_score` and `live.source('fraud')` for the
 * `fraud_probability` fact (build-app.ts).
 */
export const MODEL_ROLES = {
  anomaly: anomalyRole,
  fraud: fraudRole,
} as const;

export type ModelRoles = {
  [R in keyof typeof MODEL_ROLES]: (typeof MODEL_ROLES)[R] extends ModelRoleSpec<infer M>
    ? M
    : never;
};
