import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreAnomaly } from '../../../src/pipeline/anomaly.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import type { AnomalyModel, ModelSource } from '../../../src/pipeline/model-source.ts';
import { noModelSource } from '../../../src/pipeline/model-source.ts';
import type { DegradedReason } from '../../../src/pipeline/score-response.ts';
import { makeTx } from '../../helpers/tx.ts';

const source = (score: AnomalyModel['score']): ModelSource => ({
  current: () => ({ version: 'm-1', score }),
  close: () => Promise.resolve(),
});

describe('the model step of scoring', () => {
  const table: Array<[string, ModelSource | undefined, boolean, number | null, DegradedReason[]]> =
    [
      ['no model source', undefined, true, null, []],
      ['no model', noModelSource, true, null, []],
      ['a model', source(() => 0.42), true, 0.42, []],
      ['no velocity features: the model is not asked', source(() => 0.42), false, null, []],
      [
        'a model that throws',
        source(() => {
          throw new Error('boom');
        }),
        true,
        null,
        ['model_unavailable'],
      ],
      ['a model answering NaN', source(() => Number.NaN), true, null, ['model_unavailable']],
      ['a model answering above 1', source(() => 1.5), true, null, ['model_unavailable']],
    ];
  for (const [name, models, haveFeatures, score, reasons] of table) {
    test(name, () => {
      const degraded: DegradedReason[] = [];
      const out = scoreAnomaly(models, makeTx(), {}, haveFeatures, degraded, silentLogger);
      assert.equal(out.score, score);
      assert.equal(out.version, score === null ? null : 'm-1');
      assert.deepEqual(degraded, reasons);
    });
  }
});
