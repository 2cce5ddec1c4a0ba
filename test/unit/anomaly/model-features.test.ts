import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VelocityFeatures } from '../../../src/domain/features.ts';
import {
  MODEL_FEATURES,
  hourOfDay,
  modelFeatures,
} from '../../../src/domain/anomaly/model-features.ts';
import { makeTx } from '../../helpers/tx.ts';

const at = (name: (typeof MODEL_FEATURES)[number]): number => MODEL_FEATURES.indexOf(name);

describe('model features', () => {
  const history: VelocityFeatures = {
    'account.count_1m': 2,
    'account.count_10m': 3,
    'account.count_1h': 4,
    'account.count_24h': 9,
    'card.count_10m': 3,
    'account.distinct_merchants_1h': 2,
    'account.distinct_countries_24h': 1,
    'account.distinct_devices_24h': 2,
    'ip.distinct_accounts_1h': 1,
    'device.distinct_accounts_24h': 3,
    'account.seconds_since_last': 30,
    'account.avg_amount_24h': 49,
  };

  test('one vector in MODEL_FEATURES order, velocity features copied by name', () => {
    const x = modelFeatures(makeTx({ amount: 99, timestamp: '2024-01-15T13:30:00Z' }), history);
    assert.equal(x.length, MODEL_FEATURES.length);
    assert.equal(x[at('log_amount')], Math.log(100));
    assert.ok(Math.abs(x[at('log_amount_to_avg_24h')]! - Math.log(2)) < 1e-12);
    assert.equal(x[at('account.count_1m')], 2);
    assert.equal(x[at('account.count_24h')], 9);
    assert.equal(x[at('device.distinct_accounts_24h')], 3);
    assert.equal(x[at('log_seconds_since_last')], Math.log(31));
    assert.equal(x[at('hour_of_day')], 13.5);
  });

  test('no history: a typical ratio, a day since the last transaction', () => {
    const x = modelFeatures(makeTx({ amount: 10 }), {
      ...history,
      'account.seconds_since_last': null,
      'account.avg_amount_24h': null,
    });
    assert.equal(x[at('log_amount_to_avg_24h')], 0);
    assert.equal(x[at('log_seconds_since_last')], Math.log1p(86_400));
  });

  test('features the transaction cannot have are 0, and every entry is finite', () => {
    const x = modelFeatures(makeTx(), { 'account.count_1m': 1 });
    assert.equal(x[at('card.count_10m')], 0);
    assert.equal(x[at('ip.distinct_accounts_1h')], 0);
    assert.equal(x[at('account.count_1m')], 1);
    assert.ok(x.every(Number.isFinite));
  });

  test('the same inputs give the same vector, written into the buffer given', () => {
    const out = new Float64Array(MODEL_FEATURES.length);
    const tx = makeTx({ amount: 5 });
    const a = modelFeatures(tx, history, out);
    assert.equal(a, out);
    assert.deepEqual(Array.from(a), Array.from(modelFeatures(tx, history)));
  });

  const hours: Array<[string, number]> = [
    ['2024-01-15T00:00:00Z', 0],
    ['2024-01-15T23:45:00.123Z', 23.75],
    ['2024-01-15T08:06:00+05:30', 8.1],
    ['2024-01-15t21:30:00-07:00', 21.5],
  ];
  for (const [ts, h] of hours) {
    test(`hour of day of ${ts} is ${h} (the timestamp's own clock)`, () => {
      assert.ok(Math.abs(hourOfDay(ts) - h) < 1e-12);
    });
  }
});
