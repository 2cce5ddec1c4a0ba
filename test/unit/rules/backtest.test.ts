import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS } from '../../../src/domain/decision.ts';
import { backtest } from '../../../src/domain/rules/backtest.ts';
import { compileRuleset } from '../../../src/domain/rules/compile.ts';
import { partitionShadow } from '../../../src/domain/rules/fired.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { RecentScored } from '../../../src/pipeline/recent-scored.ts';

const over = (name: string, amount: number, score: number, shadow = false): RiskRule => ({
  name,
  conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: amount }] },
  event: { type: 'risk', params: { score, ...(shadow && { shadow: true }) } },
});

const prepare = (rules: RiskRule[], version: string) => ({
  ...compileRuleset(rules, version),
  ruleNames: rules.map((r) => r.name),
  shadowRules: new Set(rules.filter((r) => r.event.params?.shadow === true).map((r) => r.name)),
});

test('backtest: hit counts per rule in both sets, and the decisions that change', () => {
  const active = prepare([over('big', 1000, 60), over('huge', 5000, 90)], '7');
  const candidate = prepare(
    [over('big', 500, 60), over('watch', 100, 100, true), over('new', 2000, 30)],
    'candidate',
  );
  const samples = [50, 200, 700, 1500, 2500, 6000].map((amount, i) => ({
    transaction_id: `t${i}`,
    facts: { amount },
  }));
  const r = backtest(candidate, active, samples, DEFAULT_THRESHOLDS);
  assert.equal(r.transactions, 6);
  assert.equal(r.active_version, '7');
  assert.deepEqual(r.rules, [
    { rule: 'big', shadow: false, active_hits: 3, candidate_hits: 4 },
    { rule: 'watch', shadow: true, active_hits: null, candidate_hits: 5 },
    { rule: 'new', shadow: false, active_hits: null, candidate_hits: 2 },
    { rule: 'huge', shadow: false, active_hits: 1, candidate_hits: null },
  ]);
  // Active: 50/200/700 approve, 1500/2500 review (60), 6000 decline (150 → 100).
  assert.deepEqual(r.decisions.active, { approve: 3, review: 2, decline: 1 });
  // Candidate: 700 review (60); 1500 review (60); 2500 decline (90); 6000 decline (90).
  // The shadow rule fires on five of them and changes none.
  assert.deepEqual(r.decisions.candidate, { approve: 2, review: 2, decline: 2 });
  assert.equal(r.changed_count, 2);
  assert.deepEqual(
    r.changed.map((c) => [c.transaction_id, c.active.decision, c.candidate.decision]),
    [
      ['t2', 'approve', 'review'],
      ['t4', 'review', 'decline'],
    ],
  );
  // 6000: 100 → 90, same decision.
  assert.equal(r.score_changed_count, 3);
});

test('partitionShadow keeps the order and allocates nothing without shadow hits', () => {
  const a = { rule: 'a', score: 1 };
  const s = { rule: 's', score: 50, shadow: true as const };
  const b = { rule: 'b', score: 2 };
  const plain = [a, b];
  assert.equal(partitionShadow(plain).acting, plain);
  assert.deepEqual(partitionShadow([a, s, b]), { acting: [a, b], shadow: [s] });
});

test('RecentScored keeps the newest entries, oldest first', () => {
  const r = new RecentScored(3);
  const sample = (i: number) => ({
    transaction: {
      transaction_id: `t${i}`,
      timestamp: '2024-01-15T10:00:00Z',
      amount: i,
      currency: 'USD',
      account_id: 'a',
    },
    features: {},
    anomaly_score: null,
  });
  assert.deepEqual(r.latest(), []);
  for (let i = 1; i <= 5; i++) r.add(sample(i));
  assert.equal(r.length, 3);
  assert.deepEqual(
    r.latest().map((s) => s.transaction.transaction_id),
    ['t3', 't4', 't5'],
  );
  assert.deepEqual(
    r.latest(2).map((s) => s.transaction.transaction_id),
    ['t4', 't5'],
  );
  const none = new RecentScored(0);
  none.add(sample(1));
  assert.deepEqual(none.latest(), []);
});
