import { rocAuc } from '../../../src/domain/anomaly/roc-auc.ts';

/** Precision, recall and the threshold-free figures of one method on one labelled set. */
export interface MethodFigures {
  roc_auc: number;
  /** Average precision (scikit-learn's definition): the area under the PR curve. */
  pr_auc: number;
  /** Flag when score ≥ threshold (for rule-based methods: the decision is not approve). */
  threshold: number | null;
  flagged: number;
  true_positives: number;
  precision: number | null;
  recall: number;
}

/** Average precision of `scores` against `labels`: Σ (Rₙ − Rₙ₋₁) · Pₙ, ties taken together. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]!,
  );
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let n = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      tp += labels[order[i]!]!;
      n++;
      i++;
    }
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / n);
    lastRecall = recall;
  }
  return ap;
}

/**
 * The threshold with the best F1 on the training rows (each distinct score tried, flag when
 * score ≥ it): how a score becomes a decision without looking at the test half.
 */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]!,
  );
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  let best = Number.POSITIVE_INFINITY;
  let bestF1 = -1;
  let tp = 0;
  let n = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      tp += labels[order[i]!]!;
      n++;
      i++;
    }
    const f1 = positives === 0 ? 0 : (2 * tp) / (n + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = s;
    }
  }
  return best;
}

/** The figures of a method from its test scores and which test rows it flags. */
export function figures(
  scores: ArrayLike<number>,
  flagged: ArrayLike<boolean>,
  labels: ArrayLike<number>,
  threshold: number | null,
): MethodFigures {
  let tp = 0;
  let f = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    positives += labels[i]!;
    if (flagged[i]) {
      f++;
      tp += labels[i]!;
    }
  }
  return {
    roc_auc: rocAuc(scores, labels),
    pr_auc: averagePrecision(scores, labels),
    threshold,
    flagged: f,
    true_positives: tp,
    precision: f === 0 ? null : tp / f,
    recall: positives === 0 ? Number.NaN : tp / positives,
  };
}
