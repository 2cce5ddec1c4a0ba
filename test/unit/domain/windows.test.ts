import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { WindowInput } from '../../../src/domain/windows.ts';
import {
  WindowAccumulator,
  averageScore,
  decimalToMicros,
  formatInstant,
  microsToDecimal,
  toMicros,
  toWindowRow,
  windowInputOf,
  windowKeysOf,
  windowStartOf,
} from '../../../src/domain/windows.ts';

const MIN = 60_000;

describe('aggregate windows (DESIGN.md §4.8)', () => {
  test('the seed example, exactly', () => {
    // input (30-minute window): txn_001 1000.00 score 30 US; txn_002 5000.00 score 85 CN;
    // txn_003 200.00 score 15 US
    const acc = new WindowAccumulator(30 * MIN);
    const seed: WindowInput[] = [
      {
        timestamp: '2024-01-15T10:03:00Z',
        amount: 1000.0,
        location: 'US',
        risk_score: 30,
        risk_flag: false,
      },
      {
        timestamp: '2024-01-15T10:14:00Z',
        amount: 5000.0,
        location: 'CN',
        risk_score: 85,
        risk_flag: true,
      },
      {
        timestamp: '2024-01-15T10:29:59.999Z',
        amount: 200.0,
        location: 'US',
        risk_score: 15,
        risk_flag: false,
      },
    ];
    for (const tx of seed) acc.add(tx);
    const all = acc.list().filter((a) => a.dimension === 'all');
    assert.equal(all.length, 1);
    const { dimension, dimension_value, flagged_transactions, max_risk_score, ...row } =
      toWindowRow(all[0]!);
    assert.equal(
      JSON.stringify(row),
      '{"window_start":"2024-01-15T10:00:00Z","window_end":"2024-01-15T10:30:00Z",' +
        '"total_amount":6200,"transaction_count":3,"high_risk_transactions":1,' +
        '"avg_risk_score":43.33,"risk_flag":true}',
    );
    // 6200.00 and 6200 are the same JSON number; the extra fields of our rows:
    assert.deepEqual(
      { dimension, dimension_value, flagged_transactions, max_risk_score },
      { dimension: 'all', dimension_value: '*', flagged_transactions: 1, max_risk_score: 85 },
    );
    const byCountry = Object.fromEntries(
      acc
        .list()
        .filter((a) => a.dimension === 'location')
        .map((a) => [a.value, toWindowRow(a)]),
    );
    assert.equal(byCountry.US?.total_amount, 1200);
    assert.equal(byCountry.US?.avg_risk_score, 22.5);
    assert.equal(byCountry.US?.risk_flag, false);
    assert.equal(byCountry.CN?.high_risk_transactions, 1);
  });

  const starts: Array<[string, number, string]> = [
    ['start of a window', 60, '2024-01-15T10:00:00Z'],
    ['one ms before the next', 60, '2024-01-15T10:00:59.999Z'],
    ['30 min windows', 1800, '2024-01-15T10:29:00Z'],
    ['one-second windows', 1, '2024-01-15T10:00:00.500Z'],
    ['before 1970', 60, '1969-12-31T23:59:30Z'],
  ];
  const expected = [
    '2024-01-15T10:00:00Z',
    '2024-01-15T10:00:00Z',
    '2024-01-15T10:00:00Z',
    '2024-01-15T10:00:00Z',
    '1969-12-31T23:59:00Z',
  ];
  starts.forEach(([name, seconds, at], i) => {
    test(`window start: ${name}`, () => {
      assert.equal(formatInstant(windowStartOf(Date.parse(at), seconds * 1000)), expected[i]);
    });
  });

  test('a transaction counts under all and under each dimension it carries', () => {
    const keys = windowKeysOf(
      {
        timestamp: '2024-01-15T10:00:10Z',
        amount: 1,
        channel: 'web',
        merchant_category: '5411',
        risk_score: 0,
        risk_flag: false,
      },
      MIN,
    );
    assert.deepEqual(
      keys.map((k) => `${k.dimension}=${k.value}`),
      ['all=*', 'merchant_category=5411', 'channel=web'],
    );
  });

  const averages: Array<[number, number, number]> = [
    [130, 3, 43.33],
    [2, 3, 0.67],
    [1, 8, 0.13], // 0.125: half rounds up, as PostgreSQL's round(numeric, 2) does
    [100, 1, 100],
    [0, 5, 0],
  ];
  for (const [sum, count, avg] of averages) {
    test(`avg_risk_score of ${sum}/${count} is ${avg}`, () => {
      assert.equal(averageScore(sum, count), avg);
    });
  }

  test('amounts are summed exactly, in millionths', () => {
    assert.equal(toMicros(0.1) + toMicros(0.2), toMicros(0.3));
    assert.equal(microsToDecimal(toMicros(1e12)), '1000000000000.000000');
    assert.equal(microsToDecimal(toMicros(1e12) * 1000n), '1000000000000000.000000');
    assert.equal(decimalToMicros('6200.000000'), 6_200_000_000n);
    assert.equal(decimalToMicros('0.5'), 500_000n);
    assert.equal(decimalToMicros('12'), 12_000_000n);
    assert.throws(() => decimalToMicros('1e5'));
  });

  test('partial aggregates of any split add up to the aggregate of all (what replicas rely on)', () => {
    const input = fc.record({
      minute: fc.integer({ min: 0, max: 5 }),
      amount: fc.double({ min: 0, max: 1e6, noNaN: true }),
      location: fc.option(fc.constantFrom('US', 'CN', 'FR'), { nil: undefined }),
      risk_score: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(input, fc.nat(3)), { maxLength: 40 }), (items) => {
        const whole = new WindowAccumulator(2 * MIN);
        const parts = [0, 1, 2, 3].map(() => new WindowAccumulator(2 * MIN));
        for (const [i, part] of items) {
          const tx: WindowInput = {
            timestamp: new Date(Date.UTC(2024, 0, 15, 10, i.minute)).toISOString(),
            amount: i.amount,
            location: i.location,
            risk_score: i.risk_score,
            risk_flag: i.risk_score >= 50,
          };
          whole.add(tx);
          parts[part]!.add(tx);
        }
        const merged = new WindowAccumulator(2 * MIN);
        for (const p of parts.reverse()) for (const a of p.list()) merged.merge(a);
        assert.deepEqual(merged.list(), whole.list());
      }),
      { numRuns: 200 },
    );
  });

  test('with a key bound, updates of held keys still count and new keys are refused', () => {
    const acc = new WindowAccumulator(MIN);
    const admit = () => acc.size < 2;
    const tx = (at: string, location: string): WindowInput => ({
      timestamp: at,
      amount: 1,
      location,
      risk_score: 10,
      risk_flag: false,
    });
    assert.equal(acc.add(tx('2024-01-15T10:00:00Z', 'US'), admit), 0);
    assert.equal(acc.add(tx('2024-01-15T10:00:30Z', 'CN'), admit), 1, 'location CN refused');
    assert.equal(acc.add(tx('2024-01-15T10:01:00Z', 'US'), admit), 2, 'a new window refused');
    const all = acc.list().find((a) => a.dimension === 'all');
    assert.equal(all?.count, 2);
  });
});

test('windowInputOf takes only what windows need, and no absent dimension', () => {
  const tx = {
    transaction_id: 't',
    timestamp: '2024-01-15T10:00:00Z',
    amount: 12.5,
    account_id: 'a',
    location: 'US',
  };
  const answer = { risk_score: 85, risk_flag: true, decision: 'decline', features: { x: 1 } };
  assert.deepEqual(windowInputOf(tx, answer), {
    timestamp: '2024-01-15T10:00:00Z',
    amount: 12.5,
    risk_score: 85,
    risk_flag: true,
    location: 'US',
  });
});
