import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Outcome } from '../../../load-test/evaluate/metrics.ts';
import {
  averagePrecision,
  byScenario,
  prCurve,
  rates,
  thinCurve,
} from '../../../load-test/evaluate/metrics.ts';
import { readPaysim } from '../../../load-test/evaluate/paysim.ts';

const o = (over: Partial<Outcome>): Outcome => ({
  fraud: false,
  scenario: null,
  campaign: null,
  decision: 'approve',
  risk_score: 0,
  anomaly_score: null,
  ...over,
});

test('rates: precision, recall, false-positive, review and decline rates', () => {
  const outcomes = [
    o({ fraud: true, scenario: 'a', decision: 'decline' }),
    o({ fraud: true, scenario: 'a', decision: 'approve' }),
    o({ fraud: true, scenario: 'b', decision: 'review' }),
    o({ decision: 'review' }),
    o({}),
    o({}),
    o({}),
    o({}),
  ];
  assert.deepEqual(rates(outcomes), {
    transactions: 8,
    fraud: 3,
    flagged: 3,
    true_positives: 2,
    precision: 2 / 3,
    recall: 2 / 3,
    false_positive_rate: 1 / 5,
    review_rate: 2 / 8,
    decline_rate: 1 / 8,
  });
  assert.equal(rates([o({})]).precision, null, 'nothing flagged: precision undefined');
});

test('byScenario: recall by transaction and by campaign', () => {
  const r = byScenario([
    o({ fraud: true, scenario: 'ct', campaign: 'c1', decision: 'approve' }),
    o({ fraud: true, scenario: 'ct', campaign: 'c1', decision: 'decline' }),
    o({ fraud: true, scenario: 'ct', campaign: 'c2', decision: 'approve' }),
    o({ fraud: true, scenario: 'ato', campaign: 'c3', decision: 'review' }),
    o({ decision: 'review' }),
  ]);
  assert.deepEqual(r, [
    { scenario: 'ato', transactions: 1, recall: 1, declined: 0, campaigns: 1, campaigns_caught: 1 },
    {
      scenario: 'ct',
      transactions: 3,
      recall: 1 / 3,
      declined: 1 / 3,
      campaigns: 2,
      campaigns_caught: 0.5,
    },
  ]);
});

test('prCurve groups tied scores, skips nulls; average precision as scikit-learn defines it', () => {
  const outcomes = [
    o({ fraud: true, risk_score: 90 }),
    o({ fraud: false, risk_score: 80 }),
    o({ fraud: true, risk_score: 80 }),
    o({ fraud: false, risk_score: 10 }),
    o({ fraud: true, risk_score: 0, anomaly_score: null }),
  ];
  const curve = prCurve(outcomes, (x) => x.risk_score);
  assert.deepEqual(curve, [
    { threshold: 90, precision: 1, recall: 1 / 3 },
    { threshold: 80, precision: 2 / 3, recall: 2 / 3 },
    { threshold: 10, precision: 2 / 4, recall: 2 / 3 },
    { threshold: 0, precision: 3 / 5, recall: 1 },
  ]);
  // sklearn.metrics.average_precision_score([1,0,1,0,1], [90,80,80,10,0]) = 0.7444…
  assert.ok(
    Math.abs(averagePrecision(curve) - (1 / 3 + (1 / 3) * (2 / 3) + (1 / 3) * (3 / 5))) < 1e-12,
  );
  assert.deepEqual(
    prCurve(outcomes, (x) => x.anomaly_score),
    [],
  );
});

test('thinCurve keeps the shape within 1/max and the last point', () => {
  const curve = Array.from({ length: 10_000 }, (_, i) => ({
    threshold: 10_000 - i,
    precision: 1 - i / 20_000,
    recall: (i + 1) / 10_000,
  }));
  const thin = thinCurve(curve, 100);
  assert.ok(thin.length <= 102, `${thin.length} points`);
  assert.deepEqual(thin.at(-1), curve.at(-1));
  for (let i = 1; i < thin.length; i++) assert.ok(thin[i]!.recall - thin[i - 1]!.recall <= 0.0102);
});

test('readPaysim: hours become times, balances attributes, isFraud the label', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paysim-'));
  const file = join(dir, 'p.csv.gz');
  writeFileSync(
    file,
    gzipSync(
      [
        'step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud',
        '2,PAYMENT,1.5E2,C1,500,350,M1,0,0,0,0',
        '1,TRANSFER,1000,C2,1000,0,C3,0,0,1,0',
        '1,CASH_OUT,1000,C3,1000,0,C4,5,1005,1,0',
      ].join('\n'),
    ),
  );
  const items = await readPaysim(file);
  assert.deepEqual(
    items.map((i) => [i.transaction.timestamp, i.transaction.channel, i.label.scenario]),
    [
      ['2026-02-02T00:00:00.000Z', 'transfer', 'transfer'],
      ['2026-02-02T00:30:00.000Z', 'cash_out', 'cash_out'],
      ['2026-02-02T01:00:00.000Z', 'payment', null],
    ],
  );
  const payment = items[2]!.transaction;
  assert.equal(payment.amount, 150);
  assert.equal(payment.account_id, 'C1');
  assert.equal(payment.merchant_id, 'M1');
  assert.deepEqual(payment.attributes, {
    balance_before: 500,
    balance_after: 350,
    payee_balance_before: 0,
    payee_balance_after: 0,
  });
  writeFileSync(file, gzipSync('step,type,amount\n1,PAYMENT,1\n'));
  await assert.rejects(readPaysim(file), /missing columns nameOrig/);
});
