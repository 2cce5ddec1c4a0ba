import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UnknownFeatureError,
  compileFeatureVector,
} from '../../../src/domain/anomaly/feature-vector.ts';
import { MODEL_FEATURES, modelFeatures } from '../../../src/domain/anomaly/model-features.ts';
import type { VelocityFeatures } from '../../../src/domain/features.ts';
import { makeTx } from '../../helpers/tx.ts';

const tx = makeTx({
  amount: 99,
  attributes: { balance: 12.5, kind: 'TRANSFER', flag: true, note: 'x', zero: 0 },
});
const features: VelocityFeatures = {
  'account.count_1h': 3,
  'account.avg_amount_24h': 49,
  'account.seconds_since_last': null,
  'card.count_10m': 2,
};

describe('feature vectors built from names', { timeout: 60_000 }, () => {
  const table: Array<[string, number, number]> = [
    // name, value with missing = NaN, value with missing = 0
    ['amount', 99, 99],
    ['log_amount', Math.log1p(99), Math.log1p(99)],
    ['log_amount_to_avg_24h', Math.log1p(99) - Math.log1p(49), Math.log1p(99) - Math.log1p(49)],
    ['account.count_1h', 3, 3],
    ['account.seconds_since_last', Number.NaN, 0],
    ['ip.distinct_accounts_1h', Number.NaN, 0],
    ['attributes.balance', 12.5, 12.5],
    ['attributes.zero', 0, 0],
    ['attributes.flag', 1, 1],
    ['attributes.note', Number.NaN, 0],
    ['attributes.absent', Number.NaN, 0],
    ['attributes.kind=TRANSFER', 1, 1],
    ['attributes.kind=CASH_OUT', 0, 0],
    ['attributes.absent=TRANSFER', 0, 0],
  ];
  for (const [name, withNaN, withZero] of table) {
    test(`${name}`, () => {
      assert.deepEqual(
        [...compileFeatureVector([name], { missing: Number.NaN }).build(tx, features)],
        [withNaN],
      );
      assert.deepEqual(
        [...compileFeatureVector([name], { missing: 0 }).build(tx, features)],
        [withZero],
      );
    });
  }

  test('the order of the vector is the order of the names', () => {
    const v = compileFeatureVector(['attributes.balance', 'amount', 'account.count_1h'], {
      missing: 0,
    });
    assert.deepEqual([...v.build(tx, features)], [12.5, 99, 3]);
  });

  test("the shipped model's names give exactly modelFeatures' vector", () => {
    const v = compileFeatureVector(MODEL_FEATURES, { missing: 0 });
    for (const f of [
      features,
      {},
      { 'account.seconds_since_last': 30, 'device.distinct_accounts_24h': 2 },
    ]) {
      assert.deepEqual([...v.build(tx, f)], [...modelFeatures(tx, f)]);
    }
  });

  for (const bad of [
    'colour',
    'account.count_2h',
    'attributes.',
    'attributes.=x',
    'toString',
    '__proto__',
  ]) {
    test(`unknown name refused, naming it: ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => compileFeatureVector(['amount', bad], { missing: 0 }),
        (err: unknown) => err instanceof UnknownFeatureError && err.message.includes(`"${bad}"`),
      );
    });
  }
});
