import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rocAuc } from '../../../src/domain/anomaly/roc-auc.ts';

describe('ROC AUC', () => {
  const table: Array<[string, number[], number[], number]> = [
    ['perfect ranking', [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1],
    ['inverted ranking', [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0],
    ['all scores tied', [0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5],
    // Pairs (pos, neg): (0.8 vs 0.1, 0.5, 0.8) = 1 + 1 + ½; (0.5 vs same) = 1 + ½ + 0 → 4 / 6.
    ['ties between classes count one half', [0.1, 0.5, 0.8, 0.8, 0.5], [0, 0, 0, 1, 1], 4 / 6],
    // One anomaly above two of three normal points.
    ['one anomaly in the middle', [0.1, 0.2, 0.9, 0.5], [0, 0, 0, 1], 2 / 3],
  ];
  for (const [name, scores, labels, expected] of table) {
    test(name, () => assert.ok(Math.abs(rocAuc(scores, labels) - expected) < 1e-12));
  }

  test('agrees with counting pairs on random data with ties', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const scores = Array.from({ length: 300 }, () => Math.round(rnd() * 20) / 20);
    const labels = scores.map((s) => (rnd() < 0.2 + s / 2 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    scores.forEach((sp, i) => {
      if (labels[i] !== 1) return;
      scores.forEach((sn, j) => {
        if (labels[j] !== 0) return;
        pairs++;
        wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
      });
    });
    assert.ok(Math.abs(rocAuc(scores, labels) - wins / pairs) < 1e-12);
  });

  test('refuses a single class, mismatched lengths, bad labels and NaN scores', () => {
    assert.throws(() => rocAuc([0.1, 0.2], [1, 1]), /at least one anomaly and one normal/);
    assert.throws(() => rocAuc([0.1, 0.2], [1]), /2 scores but 1 labels/);
    assert.throws(() => rocAuc([0.1, 0.2], [1, 2]), /label 1 is not 0 or 1/);
    assert.throws(() => rocAuc([0.1, Number.NaN], [1, 0]), /score 1 is NaN/);
  });
});
