import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelArtifact, ModelMeta } from '../../../src/domain/anomaly/artifact.ts';
import {
  ARTIFACT_FORMAT,
  forestParams,
  parseModelArtifact,
  toArtifact,
} from '../../../src/domain/anomaly/artifact.ts';
import type { IsolationForest } from '../../../src/domain/anomaly/forest.ts';
import { seededRandom } from '../../../src/domain/anomaly/random.ts';
import { summarise } from '../../../src/domain/anomaly/summary.ts';
import { scoreRows, trainForest } from '../../../src/domain/anomaly/train.ts';
import { cloud } from '../../helpers/anomaly.ts';

const { data } = cloud(1000, 10);
const names = ['a', 'b', 'c'];

function trained(): { forest: IsolationForest; artifact: ModelArtifact } {
  const forest = trainForest(data, { random: seededRandom(11) });
  const meta: ModelMeta = {
    format: ARTIFACT_FORMAT,
    name: 'test-model',
    version: '1.0.0',
    created_at: '2024-01-15T10:00:00.000Z',
    seed: 11,
    features: names,
    ...forestParams(forest),
    training: {
      rows: data.rows,
      source: 'test cloud',
      features: summarise(data, names),
      score_quantiles: [{ q: 0.5, score: 0.45 }],
    },
    threshold: { quantile: 0.99, score: 0.62 },
  };
  return { forest, artifact: toArtifact(forest, meta) };
}

/** A JSON copy of the artifact with one change. */
function edited(change: (a: Record<string, unknown> & ModelArtifact) => void): unknown {
  const copy = JSON.parse(JSON.stringify(trained().artifact)) as Record<string, unknown> &
    ModelArtifact;
  change(copy);
  return copy;
}

describe('model artifact', () => {
  test('round trip through JSON gives identical scores', () => {
    const { forest, artifact } = trained();
    const parsed = parseModelArtifact(JSON.parse(JSON.stringify(artifact)));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '));
    const reloaded = parsed.model.forest;
    assert.deepEqual(reloaded.trees, forest.trees);
    const before = scoreRows(forest, data);
    const after = scoreRows(reloaded, data);
    for (let i = 0; i < before.length; i++) assert.equal(after[i], before[i]);
    assert.equal(parsed.model.meta.name, 'test-model');
    assert.deepEqual(parsed.model.meta.features, names);
  });

  test('records ψ, t, the height limit and c(ψ)', () => {
    const { artifact } = trained();
    assert.deepEqual(artifact.params, { trees: 100, subsample_size: 256, height_limit: 8 });
    assert.ok(Math.abs(artifact.normalisation.c_psi - 10.2448) < 1e-4);
    assert.equal(artifact.trees.node_counts.length, 100);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['not an object', 'model', /artifact: /],
    [
      'another format',
      edited((a) => (a.format = 'risk-iforest/2' as typeof a.format)),
      /format: "risk-iforest\/2" is not supported/,
    ],
    ['an unknown field', edited((a) => (a.colour = 'red')), /Unrecognized key: "colour"/],
    ['no features', edited((a) => (a.features = [])), /features: /],
    ['a feature named twice', edited((a) => (a.features = ['a', 'a', 'c'])), /"a" appears twice/],
    [
      'summaries of other features',
      edited((a) => (a.training.features[0]!.name = 'z')),
      /training.features: must summarise/,
    ],
    [
      'a wrong height limit',
      edited((a) => (a.params.height_limit = 7)),
      /height_limit: must be ceil\(log2 256\) = 8/,
    ],
    ['a wrong c(ψ)', edited((a) => (a.normalisation.c_psi = 10)), /c_psi: must be c\(256\)/],
    [
      'fewer trees than params say',
      edited((a) => (a.params.trees = 99)),
      /100 trees, params.trees says 99/,
    ],
    ['a threshold above 1', edited((a) => (a.threshold.score = 1.5)), /threshold.score/],
    [
      'ψ above the training rows',
      edited((a) => (a.training.rows = 100)),
      /256 exceeds the 100 training rows/,
    ],
    ['bad base64', edited((a) => (a.trees.value = 'not base64!')), /trees.value: Invalid base64/],
    [
      'cut node bytes',
      edited((a) => (a.trees.feature = a.trees.feature.slice(0, 8))),
      /trees.feature: \d+ bytes, expected 2 × \d+ nodes/,
    ],
    [
      'a tree whose leaves miss points',
      edited((a) => {
        const v = Buffer.from(a.trees.value, 'base64');
        // Node 0 of tree 0 is a split; find its first leaf (node 1 or deeper) and change its size.
        const f = Buffer.from(a.trees.feature, 'base64');
        let i = 0;
        while (f.readInt16LE(2 * i) !== -1) i++;
        v.writeDoubleLE(v.readDoubleLE(8 * i) + 1, 8 * i);
        a.trees.value = v.toString('base64');
      }),
      /trees: tree 0: leaf sizes add up to 257, not to ψ = 256/,
    ],
    ['a bad created_at', edited((a) => (a.created_at = 'yesterday')), /created_at/],
    ['a name with spaces', edited((a) => (a.name = 'my model')), /name: /],
  ];
  for (const [name, json, message] of invalid) {
    test(`rejects ${name}, saying where`, () => {
      const r = parseModelArtifact(json);
      assert.equal(r.ok, false);
      if (!r.ok)
        assert.ok(
          r.errors.some((e) => message.test(e)),
          r.errors.join('\n'),
        );
    });
  }
});
