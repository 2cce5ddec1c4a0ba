import type { FiredRule, RuleAction } from './rules/types.ts';

export type Decision = RuleAction;

export interface DecisionThresholds {
  /** risk_score at or above which the decision is `review` (default 50). */
  review: number;
  /** risk_score at or above which the decision is `decline` (default 80). */
  decline: number;
}

export const DEFAULT_THRESHOLDS: DecisionThresholds = { review: 50, decline: 80 };

/**
 * DESIGN.md §4.4: risk_score = min(100, round(Σ score)), floored at 0 so that allow-list rules
 * with negative scores cannot produce a negative score. A fired action overrides the score:
 * decline, then approve (allow list), then review; otherwise the thresholds decide.
 */
export function decide(
  fired: readonly FiredRule[],
  thresholds: DecisionThresholds,
): { decision: Decision; risk_score: number } {
  let sum = 0;
  let decline = false;
  let approve = false;
  let review = false;
  for (const f of fired) {
    sum += f.score;
    if (f.action === 'decline') decline = true;
    else if (f.action === 'approve') approve = true;
    else if (f.action === 'review') review = true;
  }
  const risk_score = Math.max(0, Math.min(100, Math.round(sum)));
  let decision: Decision;
  if (decline) decision = 'decline';
  else if (approve) decision = 'approve';
  else if (review) decision = 'review';
  else if (risk_score >= thresholds.decline) decision = 'decline';
  else if (risk_score >= thresholds.review) decision = 'review';
  else decision = 'approve';
  return { decision, risk_score };
}
