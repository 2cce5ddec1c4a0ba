import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentIds, formatFlag, parseFlag } from '../../../src/cli/alert-output.ts';
import { makeFlag } from '../../helpers/fakes.ts';

describe('alerts CLI output', () => {
  test('repeats are recognised within the window; the oldest ids leave it first', () => {
    const seen = new RecentIds(3);
    assert.deepEqual(
      ['a', 'b', 'a', 'c', 'd', 'b', 'a'].map((id) => seen.firstTime(id)),
      // 'a' left the window when 'd' came in; 'b' was still in it.
      [true, true, false, true, true, false, true],
    );
  });

  const notFlags: Array<[string | undefined, RegExp]> = [
    [undefined, /empty/],
    ['{oops', /not JSON/],
    ['42', /not a JSON object/],
    ['{"schema":"risk.flag.v2","flag_id":"x","transaction_id":"t"}', /risk\.flag\.v2/],
    ['{"schema":"risk.flag.v1"}', /missing/],
  ];
  for (const [value, why] of notFlags) {
    test(`not a flag: ${String(value)}`, () => {
      const result = parseFlag(value);
      assert.ok(typeof result === 'string', 'refused');
      assert.match(result, why);
    });
  }

  test('a flag reads as one line: time, decision, score, account, transaction, reasons', () => {
    const flag = makeFlag({
      scored_at: '2026-11-21T10:00:00.000Z',
      decision: 'decline',
      risk_score: 100,
      account_id: 'acct_42',
      transaction_id: 'txn_005',
      anomaly_score: 0.731,
      reasons: [
        { rule: 'card-testing-small-amounts', score: 60 },
        { rule: 'card-testing-many-merchants', score: 40 },
      ],
    });
    assert.deepEqual(parseFlag(JSON.stringify(flag)), flag);
    assert.equal(
      formatFlag(flag),
      '2026-11-21T10:00:00.000Z  DECLINE  score 100  account acct_42  transaction txn_005' +
        '  anomaly 0.73  ←  card-testing-small-amounts (60), card-testing-many-merchants (40)',
    );
  });
});
