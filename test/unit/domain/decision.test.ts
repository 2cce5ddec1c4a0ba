import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS, decide } from '../../../src/domain/decision.ts';
import type { FiredRule } from '../../../src/domain/rules/types.ts';

const r = (score: number, action?: FiredRule['action']): FiredRule => ({
  rule: `r${score}${action ?? ''}`,
  score,
  ...(action && { action }),
});

const table: Array<[string, FiredRule[], string, number]> = [
  ['nothing fired', [], 'approve', 0],
  ['score below review', [r(49)], 'approve', 49],
  ['score at review threshold', [r(30), r(20)], 'review', 50],
  ['score at decline threshold', [r(80)], 'decline', 80],
  ['sum capped at 100', [r(70), r(70)], 'decline', 100],
  ['sum rounded', [r(49.6)], 'review', 50],
  ['negative sum floored at 0', [r(-30)], 'approve', 0],
  ['decline action wins over a low score', [r(0, 'decline')], 'decline', 0],
  ['decline action wins over approve action', [r(0, 'approve'), r(10, 'decline')], 'decline', 10],
  ['approve action wins over a high score', [r(95), r(0, 'approve')], 'approve', 95],
  ['approve action wins over review action', [r(10, 'review'), r(0, 'approve')], 'approve', 10],
  ['review action wins over a decline-level score', [r(90, 'review')], 'review', 90],
  ['review action on a low score', [r(5, 'review')], 'review', 5],
];

for (const [name, fired, decision, score] of table) {
  test(`decide: ${name}`, () => {
    assert.deepEqual(decide(fired, DEFAULT_THRESHOLDS), { decision, risk_score: score });
  });
}

test('decide: thresholds are configurable', () => {
  assert.equal(decide([r(30)], { review: 25, decline: 60 }).decision, 'review');
  assert.equal(decide([r(60)], { review: 25, decline: 60 }).decision, 'decline');
});
