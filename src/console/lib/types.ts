/* The shapes of the service's answers that the console reads (DESIGN.md §4.4, §4.6, §4.8). */

export type Decision = 'approve' | 'review' | 'decline';

export interface Reason {
  rule: string;
  score: number;
  action?: Decision;
  description?: string;
  shadow?: boolean;
}

export interface DecisionRow {
  transaction_id: string;
  decision: Decision;
  risk_score: number;
  reasons: Reason[];
  shadow_reasons?: Reason[];
  account_id: string;
  amount: number;
  currency?: string;
  timestamp?: string;
  ruleset_version: string;
  degraded?: boolean;
  evaluated_at: string;
}

export interface ExplainedLeaf {
  fact: string;
  operator: string;
  value: unknown;
  factValue: unknown;
  result: boolean;
  path?: string;
  error?: string;
}
export type ExplainedCondition =
  | ExplainedLeaf
  | { all: ExplainedCondition[]; result: boolean }
  | { any: ExplainedCondition[]; result: boolean }
  | { not: ExplainedCondition; result: boolean };

export interface DecisionDetail {
  transaction: Record<string, unknown>;
  response: {
    decision: Decision;
    risk_score: number;
    reasons: Reason[];
    shadow_reasons?: Reason[];
    anomaly_score: number | null;
    features: Record<string, number | null>;
    ruleset_version: string;
    model_version: string | null;
    degraded: boolean;
    degraded_reasons?: string[];
    evaluated_at: string;
  };
  explanation: Array<Reason & { conditions: ExplainedCondition }> | null;
}

export interface Rule {
  name: string;
  priority?: number;
  conditions: unknown;
  event: {
    type: string;
    params?: { score?: number; action?: Decision; description?: string; shadow?: boolean };
  };
}

export interface RulesetVersion {
  version: number;
  rules: Rule[];
  rule_count: number;
  content_hash: string;
  author: string;
  comment: string;
  source: string;
  created_at: string;
}

export interface VersionSummary extends Omit<RulesetVersion, 'rules'> {
  active: boolean;
}

export interface AuditEntry {
  id: number;
  action: string;
  version: number;
  from_version: number | null;
  actor: string;
  comment: string;
  at: string;
}

export interface BacktestResult {
  source: 'request' | 'recent';
  transactions: number;
  active_version: string;
  decisions: { active: Record<Decision, number>; candidate: Record<Decision, number> };
  rules: Array<{
    rule: string;
    shadow: boolean;
    active_hits: number | null;
    candidate_hits: number | null;
  }>;
  changed_count: number;
  score_changed_count: number;
  changed: Array<{
    transaction_id: string;
    active: { decision: Decision; risk_score: number };
    candidate: { decision: Decision; risk_score: number };
  }>;
}

export interface StatsAnswer {
  bucket_seconds: number;
  from: string;
  to: string;
  buckets: Array<{ start: string; rules: Record<string, number> } & Record<Decision, number>>;
  rules: Array<{ rule: string; hits: number }>;
}

export interface WindowRow {
  window_start: string;
  window_end: string;
  dimension: string;
  dimension_value: string;
  total_amount: number;
  transaction_count: number;
  high_risk_transactions: number;
  flagged_transactions: number;
  max_risk_score: number;
  avg_risk_score: number;
  risk_flag: boolean;
}

export type CaseStatus = 'open' | 'claimed' | 'resolved';
export type Outcome = 'fraud' | 'legit';

/** A review case (DESIGN.md §4.9): `reasons` are the names of the rules that fired. */
export interface CaseRow {
  case_id: string;
  transaction_id: string;
  status: CaseStatus;
  decision: Decision;
  risk_score: number;
  reasons: string[];
  opened_at: string;
  assignee?: string;
  claimed_at?: string;
  outcome?: Outcome;
  comment?: string;
  resolved_at?: string;
}

/** Who is signed in (GET /v1/session), whatever the credential. */
export interface Whoami {
  user: string;
  role: string;
}

export interface RulePerformanceRow {
  rule: string;
  shadow: boolean;
  hits: number;
  labelled_hits: number;
  fraud_hits: number;
  precision: number | null;
  recall: number | null;
}

export interface PerformanceAnswer {
  from: string;
  to: string;
  transactions: number;
  labelled: number;
  frauds: number;
  decision: {
    flagged: number;
    labelled_flagged: number;
    fraud_flagged: number;
    precision: number | null;
    recall: number | null;
  };
  rules: RulePerformanceRow[];
}
