import type { Decision, DecisionThresholds } from '../decision.ts';
import { decide } from '../decision.ts';
import type { Label } from '../outcomes.ts';
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
  /** The outcome, when known: then precision and recall are measured on it. */
  label?: Label;
}

/** Precision and recall of one ruleset (or rule) on the labelled samples. */
export interface Quality {
  flagged: number;
  fraud_flagged: number;
  /** fraud_flagged / flagged labelled samples; null when none is flagged. */
  precision: number | null;
  /** fraud_flagged / labelled frauds; null without frauds. */
  recall: number | null;
}

export interface RuleQuality {
  rule: string;
  shadow: boolean;
  /** Null when the rule is not in that ruleset. */
  active: Quality | null;
  candidate: Quality | null;
}

/** A point of the precision–recall curve: flagged means risk_score ≥ threshold. */
export interface CurvePoint {
  threshold: number;
  flagged: number;
  precision: number | null;
  recall: number | null;
}

/** What the labelled samples say about both rulesets. */
export interface LabelledReport {
  labelled: number;
  frauds: number;
  /** The decisions as made (review or decline = flagged). */
  active: Quality;
  candidate: Quality;
  rules: RuleQuality[];
  /** Over the score threshold 1–100, for both rulesets. */
  pr_curve: { active: CurvePoint[]; candidate: CurvePoint[] };
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
  /**
   * A page of the changed decisions, in sample order: `page.limit` of them from `page.offset`
   * (the first 1,000 by default); `changed_count` says how many there are in all.
   */
  changed: ChangedDecision[];
  changed_page: ChangedPage;
  /** Present when at least one sample has a label. */
  labelled?: LabelledReport;
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** Tallies of labelled samples: a flag (or a hit) counted as fraud or legit. */
class Tally {
  flagged = 0;
  fraudFlagged = 0;
  add(label: Label): void {
    this.flagged += 1;
    if (label === 'fraud') this.fraudFlagged += 1;
  }
  quality(frauds: number): Quality {
    return {
      flagged: this.flagged,
      fraud_flagged: this.fraudFlagged,
      precision: ratio(this.fraudFlagged, this.flagged),
      recall: ratio(this.fraudFlagged, frauds),
    };
  }
}

/** Labelled samples by score (0–100), fraud and legit apart, for the curve. */
class ScoreHistogram {
  readonly fraud = new Uint32Array(101);
  readonly legit = new Uint32Array(101);
  add(score: number, label: Label): void {
    const s = Math.max(0, Math.min(100, Math.round(score)));
    if (label === 'fraud') this.fraud[s] = (this.fraud[s] ?? 0) + 1;
    else this.legit[s] = (this.legit[s] ?? 0) + 1;
  }
  curve(frauds: number): CurvePoint[] {
    const points: CurvePoint[] = [];
    let fraud = 0;
    let legit = 0;
    for (let t = 100; t >= 1; t--) {
      fraud += this.fraud[t] ?? 0;
      legit += this.legit[t] ?? 0;
      points.push({
        threshold: t,
        flagged: fraud + legit,
        precision: ratio(fraud, fraud + legit),
        recall: ratio(fraud, frauds),
      });
    }
    return points.reverse();
  }
}

/** Which changed decisions a report lists. */
export interface ChangedPage {
  offset: number;
  limit: number;
}

export const DEFAULT_CHANGED_PAGE: ChangedPage = { offset: 0, limit: 1_000 };

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
  page: ChangedPage = DEFAULT_CHANGED_PAGE,
): BacktestReport {
  const candHits = new Map<string, number>(candidate.ruleNames.map((n) => [n, 0]));
  const actHits = new Map<string, number>(active.ruleNames.map((n) => [n, 0]));
  const decisions = { active: zero(), candidate: zero() };
  const changed: ChangedDecision[] = [];
  let changedCount = 0;
  let scoreChanges = 0;

  // Labelled samples only: per ruleset, per rule, and by score.
  let labelled = 0;
  let frauds = 0;
  const flagged = { active: new Tally(), candidate: new Tally() };
  const ruleTally = { active: new Map<string, Tally>(), candidate: new Map<string, Tally>() };
  const histogram = { active: new ScoreHistogram(), candidate: new ScoreHistogram() };

  const run = (
    ev: SyncEvaluator,
    facts: Facts,
    hits: Map<string, number>,
    which: 'active' | 'candidate',
    label: Label | undefined,
  ) => {
    const fired = ev.evaluate(facts);
    const seen = new Set<string>();
    for (const f of fired) {
      hits.set(f.rule, (hits.get(f.rule) ?? 0) + 1);
      if (label !== undefined && !seen.has(f.rule)) {
        seen.add(f.rule);
        const tallies = ruleTally[which];
        let t = tallies.get(f.rule);
        if (t === undefined) tallies.set(f.rule, (t = new Tally()));
        t.add(label);
      }
    }
    const d = decide(partitionShadow(fired).acting, thresholds);
    if (label !== undefined) {
      if (d.decision !== 'approve') flagged[which].add(label);
      histogram[which].add(d.risk_score, label);
    }
    return d;
  };

  for (const s of samples) {
    if (s.label !== undefined) {
      labelled += 1;
      if (s.label === 'fraud') frauds += 1;
    }
    const a = run(active, s.facts, actHits, 'active', s.label);
    const c = run(candidate, s.facts, candHits, 'candidate', s.label);
    decisions.active[a.decision] += 1;
    decisions.candidate[c.decision] += 1;
    if (a.risk_score !== c.risk_score) scoreChanges += 1;
    if (a.decision !== c.decision) {
      changedCount += 1;
      // changedCount is 1-based here: the n-th change has index n − 1.
      if (changedCount > page.offset && changed.length < page.limit)
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
  const quality = (which: 'active' | 'candidate', rule: string, inSet: boolean) =>
    inSet ? (ruleTally[which].get(rule) ?? new Tally()).quality(frauds) : null;
  return {
    transactions: samples.length,
    active_version: active.version,
    decisions,
    rules,
    changed_count: changedCount,
    score_changed_count: scoreChanges,
    changed,
    changed_page: page,
    ...(labelled > 0 && {
      labelled: {
        labelled,
        frauds,
        active: flagged.active.quality(frauds),
        candidate: flagged.candidate.quality(frauds),
        rules: rules.map((r) => ({
          rule: r.rule,
          shadow: r.shadow,
          active: quality('active', r.rule, r.active_hits !== null),
          candidate: quality('candidate', r.rule, r.candidate_hits !== null),
        })),
        pr_curve: {
          active: histogram.active.curve(frauds),
          candidate: histogram.candidate.curve(frauds),
        },
      },
    }),
  };
}
