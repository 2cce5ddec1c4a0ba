import { parseModelArtifact } from '../domain/anomaly/artifact.ts';
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

/**
 * The model registry's roles: role → its artifact parser and scoring use. The supervised
 * `fraud` role (`risk-gbdt/1`, the `fraud_probability` fact) joins as one more entry here, its
 * source (`live.source('fraud')`) handed to the scorer in build-app.ts.
 */
export const MODEL_ROLES = {
  anomaly: anomalyRole,
} as const;

export type ModelRoles = {
  [R in keyof typeof MODEL_ROLES]: (typeof MODEL_ROLES)[R] extends ModelRoleSpec<infer M>
    ? M
    : never;
};
