import type { Decision, DecisionThresholds } from '../decision.ts';
import { decide } from '../decision.ts';
import { partitionShadow } from './fired.ts';
import type { Facts, FiredRule } from './types.ts';

/** A synchronous evaluator (the compiled one): backtests run thousands of evaluations. */
export interface SyncEvaluator {
  readonly version: string;
  evaluate(facts: Facts): readonly FiredRule[];
}

export interface BacktestSample {
  transaction_id: string;
  facts: Facts;
}

export interface RuleHits {
  rule: string;
  shadow: boolean;
  /** Hits under the active ruleset; null when the rule is not in it. */
  active_hits: number | null;
  /** Hits under the candidate; null when the rule is not in it. */
  candidate_hits: number | null;
}

export interface ChangedDecision {
  transaction_id: string;
  active: { decision: Decision; risk_score: number };
  candidate: { decision: Decision; risk_score: number };
}

export interface BacktestReport {
  transactions: number;
  active_version: string;
  decisions: {
    active: Record<Decision, number>;
    candidate: Record<Decision, number>;
  };
  /** Every rule of either ruleset, in candidate order then the active-only ones. */
  rules: RuleHits[];
  /** How many decisions the candidate would change. */
  changed_count: number;
  /** How many risk scores it would change (with or without the decision). */
  score_changed_count: number;
  /** The changed decisions, the first `maxChanged` of them. */
  changed: ChangedDecision[];
}

const zero = (): Record<Decision, number> => ({ approve: 0, review: 0, decline: 0 });

/**
 * Evaluates a candidate ruleset and the active one on the same facts and reports what would
 * change: per-rule hit counts (shadow rules included) and every decision that differs. Pure.
 */
export function backtest(
  candidate: SyncEvaluator & { ruleNames: readonly string[]; shadowRules: ReadonlySet<string> },
  active: SyncEvaluator & { ruleNames: readonly string[]; shadowRules: ReadonlySet<string> },
  samples: readonly BacktestSample[],
  thresholds: DecisionThresholds,
  maxChanged = 1_000,
): BacktestReport {
  const candHits = new Map<string, number>(candidate.ruleNames.map((n) => [n, 0]));
  const actHits = new Map<string, number>(active.ruleNames.map((n) => [n, 0]));
  const decisions = { active: zero(), candidate: zero() };
  const changed: ChangedDecision[] = [];
  let changedCount = 0;
  let scoreChanges = 0;

  const run = (ev: SyncEvaluator, facts: Facts, hits: Map<string, number>) => {
    const fired = ev.evaluate(facts);
    for (const f of fired) hits.set(f.rule, (hits.get(f.rule) ?? 0) + 1);
    return decide(partitionShadow(fired).acting, thresholds);
  };

  for (const s of samples) {
    const a = run(active, s.facts, actHits);
    const c = run(candidate, s.facts, candHits);
    decisions.active[a.decision] += 1;
    decisions.candidate[c.decision] += 1;
    if (a.risk_score !== c.risk_score) scoreChanges += 1;
    if (a.decision !== c.decision) {
      changedCount += 1;
      if (changed.length < maxChanged)
        changed.push({ transaction_id: s.transaction_id, active: a, candidate: c });
    }
  }

  const rules: RuleHits[] = candidate.ruleNames.map((rule) => ({
    rule,
    shadow: candidate.shadowRules.has(rule),
    active_hits: actHits.get(rule) ?? null,
    candidate_hits: candHits.get(rule) ?? 0,
  }));
  for (const rule of active.ruleNames) {
    if (!candHits.has(rule))
      rules.push({
        rule,
        shadow: active.shadowRules.has(rule),
        active_hits: actHits.get(rule) ?? 0,
        candidate_hits: null,
      });
  }
  return {
    transactions: samples.length,
    active_version: active.version,
    decisions,
    rules,
    changed_count: changedCount,
    score_changed_count: scoreChanges,
    changed,
  };
}
