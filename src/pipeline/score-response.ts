import type { Decision } from '../domain/decision.ts';
import type { VelocityFeatures } from '../domain/features.ts';
import type { ExplainedFiredRule, FiredRule } from '../domain/rules/types.ts';

/** The answer to a scoring call (DESIGN.md §4.4), the same over REST and gRPC. */
export interface ScoreResponse {
  transaction_id: string;
  decision: Decision;
  risk_score: number;
  risk_flag: boolean;
  reasons: FiredRule[];
  /** Shadow rules that fired (only when some did): watched, never counted in the decision. */
  shadow_reasons?: FiredRule[];
  anomaly_score: number | null;
  features: VelocityFeatures;
  ruleset_version: string;
  model_version: string | null;
  degraded: boolean;
  degraded_reasons?: DegradedReason[];
  evaluated_at: string;
  /**
   * Only when the caller asked for it (`?explain=true`, gRPC metadata `risk-explain: true`): each fired rule with its
   * conditions and the fact values compared. Never stored, so an idempotent replay has none.
   */
  explanation?: ExplainedFiredRule[];
}

/** Known causes of a degraded answer; only these codes go on the wire, details go to the log. */
export type DegradedReason =
  | 'velocity_unavailable'
  | 'idempotency_unavailable'
  | 'model_unavailable'
  /** The flag of this (non-approved) answer could not be stored: it will not be published. */
  | 'flag_unavailable';
