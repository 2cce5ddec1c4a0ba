import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecisionFeed } from '../../../src/pipeline/decision-feed.ts';
import { createDecisionStats, STATS_RETENTION_MS } from '../../../src/pipeline/decision-stats.ts';
import type { ScoredSample } from '../../../src/pipeline/recent-scored.ts';
import { RecentScored } from '../../../src/pipeline/recent-scored.ts';
import { makeTx } from '../../helpers/tx.ts';

const sample = (id: string): ScoredSample => ({
  transaction: makeTx({ transaction_id: id }),
  features: {},
  anomaly_score: null,
});

test('feed: nothing is queued without a subscriber; a subscriber gets each sample once', async () => {
  const feed = createDecisionFeed();
  feed.publish(sample('before'));
  let woken = 0;
  const sub = feed.subscribe(() => (woken += 1));
  assert.ok(sub !== null);
  feed.publish(sample('a'));
  feed.publish(sample('b'));
  assert.equal(woken, 0, 'woken after the publishing call, not inside it');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(woken, 1, 'one wake for a burst');
  const { samples, dropped } = sub.drain();
  assert.deepEqual(
    samples.map((s) => s.transaction.transaction_id),
    ['a', 'b'],
  );
  assert.equal(dropped, 0);
  assert.deepEqual(sub.drain().samples, []);
  sub.close();
  assert.equal(feed.subscribers(), 0);
});

test('feed: a subscriber that does not drain loses samples beyond its queue and is told', () => {
  const feed = createDecisionFeed({ queueLimit: 3 });
  const slow = feed.subscribe(() => undefined);
  const fast = feed.subscribe(() => undefined);
  assert.ok(slow !== null && fast !== null);
  for (let i = 0; i < 10; i++) {
    feed.publish(sample(`t${i}`));
    if (i % 2 === 1) assert.equal(fast.drain().dropped, 0);
  }
  const { samples, dropped } = slow.drain();
  assert.deepEqual(
    samples.map((s) => s.transaction.transaction_id),
    ['t0', 't1', 't2'],
  );
  assert.equal(dropped, 7);
});

test('feed: subscribers are bounded', () => {
  const feed = createDecisionFeed({ maxSubscribers: 2 });
  assert.ok(feed.subscribe(() => undefined) !== null);
  assert.ok(feed.subscribe(() => undefined) !== null);
  assert.equal(
    feed.subscribe(() => undefined),
    null,
  );
});

test('stats: per-minute decision mix and rule hits, shadow rules counted, a day kept', () => {
  let now = Date.parse('2026-12-01T10:00:30Z');
  const stats = createDecisionStats(() => now);
  stats.add({ decision: 'approve', reasons: [] });
  stats.add({
    decision: 'decline',
    reasons: [{ rule: 'high-amount', score: 30 }],
    shadow_reasons: [{ rule: 'watch', score: 0, shadow: true }],
  });
  now += 60_000;
  stats.add({ decision: 'review', reasons: [{ rule: 'high-amount', score: 30 }] });
  const all = stats.range(0, now + 1);
  assert.equal(all.length, 2);
  assert.deepEqual(all[0]?.decisions, { approve: 1, review: 0, decline: 1 });
  assert.deepEqual(Object.fromEntries(all[0]?.rules ?? []), { 'high-amount': 1, watch: 1 });
  assert.equal(all[1]?.startMs, Date.parse('2026-12-01T10:01:00Z'));
  // A day later the first minutes are gone.
  now += STATS_RETENTION_MS;
  stats.add({ decision: 'approve', reasons: [] });
  assert.equal(stats.range(0, now + 1).length, 1);
});

test('recent: find and newest-first iteration', () => {
  const recent = new RecentScored(3);
  for (const id of ['a', 'b', 'c', 'd']) recent.add(sample(id));
  assert.equal(recent.find('a'), undefined, 'overwritten');
  assert.equal(recent.find('c')?.transaction.transaction_id, 'c');
  const seen: string[] = [];
  recent.forEachNewest((s) => {
    seen.push(s.transaction.transaction_id);
    return seen.length < 2;
  });
  assert.deepEqual(seen, ['d', 'c']);
});
