import type { Decision } from '../../src/domain/decision.ts';

/** One scored transaction with its truth. */
export interface Outcome {
  fraud: boolean;
  /** The fraud scenario (or, for PaySim, the transaction type); null for legitimate ones. */
  scenario: string | null;
  campaign: string | null;
  decision: Decision;
  risk_score: number;
  anomaly_score: number | null;
}

export interface Rates {
  transactions: number;
  fraud: number;
  /** Flagged = the decision is review or decline. */
  flagged: number;
  true_positives: number;
  precision: number | null;
  recall: number | null;
  false_positive_rate: number | null;
  review_rate: number;
  decline_rate: number;
}

export interface ScenarioRates {
  scenario: string;
  transactions: number;
  /** Share of the scenario's transactions flagged. */
  recall: number;
  /** Share declined outright. */
  declined: number;
  campaigns: number;
  /** Share of campaigns with at least one transaction flagged. */
  campaigns_caught: number | null;
}

export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Precision, recall, false-positive rate, review and decline rates of the decisions. */
export function rates(outcomes: readonly Outcome[]): Rates {
  let fraud = 0;
  let flagged = 0;
  let tp = 0;
  let review = 0;
  let decline = 0;
  for (const o of outcomes) {
    const f = o.decision !== 'approve';
    if (o.fraud) fraud++;
    if (f) flagged++;
    if (f && o.fraud) tp++;
    if (o.decision === 'review') review++;
    if (o.decision === 'decline') decline++;
  }
  const legit = outcomes.length - fraud;
  return {
    transactions: outcomes.length,
    fraud,
    flagged,
    true_positives: tp,
    precision: ratio(tp, flagged),
    recall: ratio(tp, fraud),
    false_positive_rate: ratio(flagged - tp, legit),
    review_rate: outcomes.length === 0 ? 0 : review / outcomes.length,
    decline_rate: outcomes.length === 0 ? 0 : decline / outcomes.length,
  };
}

/** Recall per scenario, by transaction and by campaign. */
export function byScenario(outcomes: readonly Outcome[]): ScenarioRates[] {
  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    if (!o.fraud || o.scenario === null) continue;
    const list = groups.get(o.scenario) ?? [];
    list.push(o);
    groups.set(o.scenario, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([scenario, list]) => {
      const campaigns = new Map<string, boolean>();
      for (const o of list) {
        if (o.campaign === null) continue;
        campaigns.set(o.campaign, (campaigns.get(o.campaign) ?? false) || o.decision !== 'approve');
      }
      const caught = [...campaigns.values()].filter(Boolean).length;
      return {
        scenario,
        transactions: list.length,
        recall: list.filter((o) => o.decision !== 'approve').length / list.length,
        declined: list.filter((o) => o.decision === 'decline').length / list.length,
        campaigns: campaigns.size,
        campaigns_caught: ratio(caught, campaigns.size),
      };
    });
}

/**
 * The precision–recall curve of a score: one point per distinct threshold (flag when
 * score ≥ threshold), from the highest threshold down. Null scores never flag.
 */
export function prCurve(
  outcomes: readonly Outcome[],
  score: (o: Outcome) => number | null,
): PrPoint[] {
  const scored = outcomes
    .map((o) => ({ s: score(o), fraud: o.fraud }))
    .filter((x): x is { s: number; fraud: boolean } => x.s !== null)
    .sort((a, b) => b.s - a.s);
  const positives = outcomes.filter((o) => o.fraud).length;
  const out: PrPoint[] = [];
  let tp = 0;
  let n = 0;
  for (let i = 0; i < scored.length;) {
    const threshold = scored[i]!.s;
    while (i < scored.length && scored[i]!.s === threshold) {
      if (scored[i]!.fraud) tp++;
      n++;
      i++;
    }
    out.push({ threshold, precision: tp / n, recall: positives === 0 ? 0 : tp / positives });
  }
  return out;
}

/** Average precision: Σ (Rₙ − Rₙ₋₁) · Pₙ over the curve's points (scikit-learn's definition). */
export function averagePrecision(curve: readonly PrPoint[]): number {
  let ap = 0;
  let lastRecall = 0;
  for (const p of curve) {
    ap += (p.recall - lastRecall) * p.precision;
    lastRecall = p.recall;
  }
  return ap;
}

/**
 * At most about `max` points of a curve for plotting: a point is kept when recall or precision
 * moved by more than 1/max since the last kept one (and the last point always).
 */
export function thinCurve(curve: readonly PrPoint[], max = 400): PrPoint[] {
  const step = 1 / max;
  const out: PrPoint[] = [];
  let last: PrPoint | undefined;
  for (const [i, p] of curve.entries()) {
    if (
      last === undefined ||
      i === curve.length - 1 ||
      p.recall - last.recall >= step ||
      Math.abs(p.precision - last.precision) >= step
    ) {
      out.push(p);
      last = p;
    }
  }
  return out;
}
