import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PreorderTrees } from '../../../src/domain/anomaly/forest.ts';
import {
  ForestStructureError,
  LEAF,
  anomalyScore,
  buildForest,
  meanPathLength,
  pathLength,
} from '../../../src/domain/anomaly/forest.ts';
import { averagePathLength } from '../../../src/domain/anomaly/path-length.ts';

/**
 * One tree on ψ = 4 points of one feature:
 *
 *        x < 5
 *       /     \
 *   leaf(1)   x < 8
 *            /     \
 *        leaf(1)  leaf(2)
 */
const tree = (): PreorderTrees => ({
  nodeCounts: Int32Array.of(5),
  feature: Int16Array.of(0, LEAF, 0, LEAF, LEAF),
  value: Float64Array.of(5, 1, 8, 1, 2),
});

describe('path length and score', () => {
  const forest = buildForest({ featureCount: 1, subsampleSize: 4 }, tree());

  const table: Array<[number, number, string]> = [
    [3, 1, 'one edge to a leaf of one point'],
    [6, 2, 'two edges to a leaf of one point'],
    [9, 2 + averagePathLength(2), 'two edges plus c(2) = 1 for the leaf of two points'],
    [5, 2, 'a value equal to the split goes right'],
  ];
  for (const [x, h, why] of table) {
    test(`h(${x}) = ${h}: ${why}`, () => assert.equal(pathLength(forest, 0, [x]), h));
  }

  test('the score is 2^(−E(h)/c(ψ)) with c(4)', () => {
    assert.equal(forest.cPsi, averagePathLength(4));
    assert.equal(anomalyScore(forest, [3]), Math.pow(2, -1 / averagePathLength(4)));
    assert.ok(anomalyScore(forest, [3]) > anomalyScore(forest, [9]));
  });

  test('E(h) averages over the trees', () => {
    const t = tree();
    const two = buildForest(
      { featureCount: 1, subsampleSize: 4 },
      {
        nodeCounts: Int32Array.of(5, 1),
        feature: Int16Array.of(...t.feature, LEAF),
        value: Float64Array.of(...t.value, 4),
      },
    );
    // Second tree: a single leaf of all four points, h = c(4).
    assert.equal(meanPathLength(two, [3]), (1 + averagePathLength(4)) / 2);
  });
});

describe('stored trees are checked', () => {
  const bad: Array<[string, Partial<PreorderTrees>, RegExp, number?]> = [
    [
      'a truncated tree',
      {
        nodeCounts: Int32Array.of(4),
        feature: Int16Array.of(0, LEAF, 0, LEAF),
        value: Float64Array.of(5, 1, 8, 1),
      },
      /truncated/,
    ],
    [
      'nodes after the tree',
      {
        nodeCounts: Int32Array.of(6),
        feature: Int16Array.of(0, LEAF, 0, LEAF, LEAF, LEAF),
        value: Float64Array.of(5, 1, 8, 1, 2, 0),
      },
      /1 nodes after the end/,
    ],
    ['an unknown feature', { feature: Int16Array.of(3, LEAF, 0, LEAF, LEAF) }, /split feature 3/],
    [
      'a NaN split',
      { value: Float64Array.of(Number.NaN, 1, 8, 1, 2) },
      /split value must be finite/,
    ],
    [
      'a fractional leaf size',
      { value: Float64Array.of(5, 1.5, 8, 0.5, 2) },
      /leaf size must be an integer/,
    ],
    [
      'leaf sizes not adding up to ψ',
      { value: Float64Array.of(5, 1, 8, 1, 1) },
      /add up to 3, not to ψ = 4/,
    ],
    ['arrays of different lengths', { value: Float64Array.of(5, 1, 8, 1) }, /4 values for 5 nodes/],
    ['a split below the height limit', {}, /split below the height limit 1/, 2],
  ];
  for (const [name, change, message, psi] of bad) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => buildForest({ featureCount: 1, subsampleSize: psi ?? 4 }, { ...tree(), ...change }),
        (err: unknown) => err instanceof ForestStructureError && message.test(err.message),
      );
    });
  }
});
