import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision,
  bestF1Threshold,
  figures,
} from '../../../load-test/evaluate/fraud/score-metrics.ts';

describe('the fraud evaluation figures', { timeout: 30_000 }, () => {
  const ap: Array<[number[], number[], number]> = [
    // Worked by hand: Σ (Rₙ − Rₙ₋₁) · Pₙ.
    [[0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0], 0.5 * 1 + 0.5 * (2 / 3)],
    [[0.9, 0.8, 0.7, 0.6], [0, 0, 1, 1], 0.5 * (1 / 3) + 0.5 * (2 / 4)],
    [[0.5, 0.5], [1, 0], 0.5], // a tie is one threshold
    [[3, 2, 1], [1, 1, 0], 1],
  ];
  for (const [scores, labels, expected] of ap) {
    test(`average precision of ${JSON.stringify(scores)} against ${JSON.stringify(labels)}`, () => {
      assert.ok(Math.abs(averagePrecision(scores, labels) - expected) < 1e-12);
    });
  }

  test('the best-F1 threshold is the score where F1 peaks on the rows given', () => {
    assert.equal(bestF1Threshold([0.9, 0.8, 0.3], [1, 1, 0]), 0.8);
    assert.equal(bestF1Threshold([0.9, 0.8, 0.3, 0.2], [1, 0, 0, 1]), 0.9);
  });

  test('precision and recall at the flags, AUCs from the scores', () => {
    const f = figures([0.9, 0.8, 0.7, 0.1], [true, true, false, false], [1, 0, 1, 0], 0.8);
    assert.equal(f.flagged, 2);
    assert.equal(f.true_positives, 1);
    assert.equal(f.precision, 0.5);
    assert.equal(f.recall, 0.5);
    assert.equal(f.roc_auc, 0.75);
    const none = figures([0.1, 0.2], [false, false], [1, 0], null);
    assert.equal(none.precision, null, 'nothing flagged: no precision');
  });
});
