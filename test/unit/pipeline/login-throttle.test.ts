import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../../src/pipeline/login-throttle.ts';

test('delays double after the free failures, up to the cap; a success clears; quiet keys are forgotten', () => {
  let now = 0;
  const t = new LoginThrottle({
    freeFailures: 2,
    maxDelayMs: 8000,
    forgetAfterMs: 60_000,
    now: () => now,
  });
  const waits: number[] = [];
  for (let i = 0; i < 7; i++) {
    now += t.waitMs('k');
    t.failure('k');
    waits.push(t.waitMs('k'));
  }
  assert.deepEqual(waits, [0, 0, 1000, 2000, 4000, 8000, 8000]);
  assert.equal(t.waitMs('other'), 0);
  t.success('k');
  assert.equal(t.waitMs('k'), 0);
  for (let i = 0; i < 3; i++) t.failure('k');
  assert.equal(t.waitMs('k'), 1000);
  now += 60_001;
  t.failure('k');
  assert.equal(t.waitMs('k'), 0, 'forgotten after a quiet period: counts from one again');
});

test('at most maxKeys keys: the least recently failed one goes first', () => {
  const now = 0;
  const t = new LoginThrottle({ freeFailures: 0, maxDelayMs: 1000, maxKeys: 2, now: () => now });
  t.failure('a');
  t.failure('b');
  t.failure('a');
  t.failure('c');
  assert.equal(t.waitMs('b'), 0);
  assert.equal(t.waitMs('a'), 1000);
  assert.equal(t.waitMs('c'), 1000);
});
