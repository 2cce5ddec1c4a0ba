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

test('backtest with labels: precision and recall per rule and ruleset, and the curve, as by hand', () => {
  const active = prepare([over('big', 1000, 60), over('huge', 5000, 90)], '7');
  const candidate = prepare(
    [over('big', 500, 60), over('watch', 100, 100, true), over('new', 2000, 30)],
    'candidate',
  );
  const labels = ['legit', 'legit', 'fraud', 'legit', 'fraud', 'fraud'] as const;
  const samples = [50, 200, 700, 1500, 2500, 6000].map((amount, i) => ({
    transaction_id: `t${i}`,
    facts: { amount },
    label: labels[i],
  }));
  // One unlabelled sample counts in the hits, not in precision or recall.
  samples.push({ transaction_id: 'u', facts: { amount: 9000 }, label: undefined });
  const r = backtest(candidate, active, samples, DEFAULT_THRESHOLDS);
  const l = r.labelled;
  assert.ok(l !== undefined);
  assert.deepEqual([l.labelled, l.frauds], [6, 3]);
  // Active flags 1500 (legit), 2500 (fraud), 6000 (fraud): precision 2/3, recall 2/3.
  assert.deepEqual(l.active, { flagged: 3, fraud_flagged: 2, precision: 2 / 3, recall: 2 / 3 });
  // Candidate flags 700 (fraud), 1500 (legit), 2500, 6000 (fraud): 3/4, recall 1.
  assert.deepEqual(l.candidate, { flagged: 4, fraud_flagged: 3, precision: 0.75, recall: 1 });
  const rule = (name: string) => l.rules.find((x) => x.rule === name);
  // big: active > 1000 hits 1500, 2500, 6000; candidate > 500 adds 700.
  assert.deepEqual(rule('big')?.active, {
    flagged: 3,
    fraud_flagged: 2,
    precision: 2 / 3,
    recall: 2 / 3,
  });
  assert.deepEqual(rule('big')?.candidate, {
    flagged: 4,
    fraud_flagged: 3,
    precision: 0.75,
    recall: 1,
  });
  // watch (shadow, > 100): 200, 700, 1500, 2500, 6000 — 3 frauds of 5.
  assert.deepEqual(rule('watch')?.candidate, {
    flagged: 5,
    fraud_flagged: 3,
    precision: 0.6,
    recall: 1,
  });
  assert.equal(rule('watch')?.active, null);
  assert.equal(rule('huge')?.candidate, null);
  // The curve: active scores 0, 0, 0, 60, 60, 100 (150 capped) for legit, legit, fraud, legit,
  // fraud, fraud. At 61–100 only 6000 is flagged: precision 1, recall 1/3; at 1–60 three are.
  const at = (t: number) => l.pr_curve.active.find((p) => p.threshold === t);
  assert.deepEqual(at(100), { threshold: 100, flagged: 1, precision: 1, recall: 1 / 3 });
  assert.deepEqual(at(61), { threshold: 61, flagged: 1, precision: 1, recall: 1 / 3 });
  assert.deepEqual(at(60), { threshold: 60, flagged: 3, precision: 2 / 3, recall: 2 / 3 });
  assert.deepEqual(at(1), { threshold: 1, flagged: 3, precision: 2 / 3, recall: 2 / 3 });
  assert.equal(l.pr_curve.active.length, 100);
  assert.equal(l.pr_curve.candidate.length, 100);
});

test('backtest pages the changed decisions: every one can be listed, in sample order', () => {
  const active = prepare([over('big', 1000, 90)], '3');
  const candidate = prepare([over('big', 10, 90)], 'candidate');
  const samples = [20, 30, 40, 50, 60].map((amount, i) => ({
    transaction_id: `p${i}`,
    facts: { amount },
  }));
  const ids = (offset: number, limit: number) =>
    backtest(candidate, active, samples, DEFAULT_THRESHOLDS, { offset, limit }).changed.map(
      (c) => c.transaction_id,
    );
  assert.deepEqual(ids(0, 1000), ['p0', 'p1', 'p2', 'p3', 'p4']);
  assert.deepEqual(ids(2, 2), ['p2', 'p3']);
  assert.deepEqual(ids(4, 10), ['p4']);
  assert.deepEqual(ids(5, 10), []);
  const r = backtest(candidate, active, samples, DEFAULT_THRESHOLDS, { offset: 2, limit: 2 });
  assert.equal(r.changed_count, 5);
  assert.deepEqual(r.changed_page, { offset: 2, limit: 2 });
});

test('backtest without labels has no labelled part', () => {
  const rules = prepare([over('big', 1000, 60)], '1');
  const r = backtest(
    rules,
    rules,
    [{ transaction_id: 'a', facts: { amount: 5 } }],
    DEFAULT_THRESHOLDS,
  );
  assert.equal(r.labelled, undefined);
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
