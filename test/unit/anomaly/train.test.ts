import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LEAF, anomalyScore } from '../../../src/domain/anomaly/forest.ts';
import { fromRows, matrix } from '../../../src/domain/anomaly/matrix.ts';
import { seededRandom } from '../../../src/domain/anomaly/random.ts';
import { rocAuc } from '../../../src/domain/anomaly/roc-auc.ts';
import { scoreRows, trainForest } from '../../../src/domain/anomaly/train.ts';
import { cloud } from '../../helpers/anomaly.ts';

describe('training', () => {
  const { data, labels } = cloud(2000, 20);

  test('the same seed grows the same forest; another seed another one', () => {
    const a = trainForest(data, { random: seededRandom(1) });
    const b = trainForest(data, { random: seededRandom(1) });
    const c = trainForest(data, { random: seededRandom(2) });
    assert.deepEqual(a.trees, b.trees);
    assert.notDeepEqual(a.trees.value, c.trees.value);
    const sa = scoreRows(a, data);
    assert.deepEqual(sa, scoreRows(b, data));
  });

  test("the paper's parameters: t = 100, ψ = 256, height limit 8", () => {
    const f = trainForest(data, { random: seededRandom(1) });
    assert.equal(f.treeCount, 100);
    assert.equal(f.subsampleSize, 256);
    assert.equal(f.heightLimit, 8);
    for (let t = 0; t < f.treeCount; t++) assert.ok(f.trees.nodeCounts[t]! <= 511);
  });

  test('every tree holds ψ points in its leaves (a subsample, not the whole set)', () => {
    const f = trainForest(data, { trees: 10, subsampleSize: 64, random: seededRandom(3) });
    let start = 0;
    for (let t = 0; t < 10; t++) {
      let points = 0;
      for (let i = start; i < start + f.trees.nodeCounts[t]!; i++)
        if (f.trees.feature[i] === LEAF) points += f.trees.value[i]!;
      assert.equal(points, 64);
      start += f.trees.nodeCounts[t]!;
    }
  });

  test('ψ larger than the data uses all rows', () => {
    const small = cloud(50, 0).data;
    const f = trainForest(small, { random: seededRandom(1) });
    assert.equal(f.subsampleSize, 50);
    assert.equal(f.heightLimit, 6);
  });

  test('outliers score higher than the cloud', () => {
    const scores = scoreRows(trainForest(data, { random: seededRandom(9) }), data);
    assert.ok(rocAuc(scores, labels) > 0.99);
    assert.ok(scores[2005]! > 0.6, `outlier scored ${scores[2005]}`);
    assert.ok(scores[0]! < 0.55, `cloud point scored ${scores[0]}`);
  });

  test('identical points make a leaf: one feature constant, the others split', () => {
    const same = fromRows(Array.from({ length: 300 }, () => [1, 2]));
    const f = trainForest(same, { trees: 3, random: seededRandom(1) });
    assert.deepEqual(Array.from(f.trees.nodeCounts), [1, 1, 1]);
    assert.equal(anomalyScore(f, [1, 2]), Math.pow(2, -1));
    const oneVaries = fromRows(Array.from({ length: 300 }, (_, i) => [7, i]));
    const g = trainForest(oneVaries, { trees: 5, random: seededRandom(1) });
    for (let i = 0; i < g.trees.feature.length; i++) assert.notEqual(g.trees.feature[i], 0);
  });

  test('refuses bad input', () => {
    const r = seededRandom(1);
    assert.throws(() => trainForest(matrix(0, 2), { random: r }), /zero rows/);
    assert.throws(() => trainForest(data, { trees: 0, random: r }), /trees must be/);
    assert.throws(() => trainForest(data, { subsampleSize: 0, random: r }), /subsample size/);
    assert.throws(
      () => trainForest(fromRows([[1], [Number.POSITIVE_INFINITY]]), { random: r }),
      /row 1, feature 0: not a finite number/,
    );
  });
});
