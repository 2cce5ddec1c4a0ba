import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { TEST_REDIS_URL, connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.ts';
import { makeTx } from '../helpers/tx.ts';

const redis = connectTestRedis();
const prefix = uniquePrefix('app');
after(async () => {
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

describe('scoring on real Redis', () => {
  test('features and idempotency live in Redis, shared by two app instances', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const a = await buildTestApp(env);
    const b = await buildTestApp(env);
    try {
      const tx = makeTx({ account_id: 'redis-app-1', amount: 10 });
      const first = await postScore(a, tx);
      assert.equal(first.status, 200);
      assert.equal(first.body.degraded, false);
      const replay = await postScore(b, tx);
      assert.deepEqual(replay.body, first.body, 'the other replica returns the stored answer');
      assert.equal((await postScore(b, { ...tx, amount: 11 })).status, 409);
      const next = await postScore(b, makeTx({ account_id: 'redis-app-1', amount: 5, at: 1000 }));
      const f = next.body.features as Record<string, number>;
      assert.equal(f['account.count_1m'], 2);
      assert.equal(f['account.amount_1m'], 15);
      assert.ok((await redis.exists(`${prefix}idem:${tx.transaction_id}`)) === 1);
      assert.equal((await a.http.inject({ url: '/readyz' })).statusCode, 200);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('Redis unreachable', () => {
  test('scoring degrades instead of failing, and /readyz stays ready but names redis', async () => {
    // Port 1 on loopback: nothing listens there, connections are refused at once.
    const app = await buildTestApp({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '100' });
    try {
      const res = await postScore(
        app,
        makeTx({ account_id: 'no-redis', attributes: { deny_listed: true } }),
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.degraded, true);
      assert.deepEqual(res.body.degraded_reasons, [
        'idempotency_unavailable',
        'velocity_unavailable',
      ]);
      assert.deepEqual(res.body.features, {});
      assert.equal(res.body.decision, 'decline', 'rules on the transaction alone still decide');
      // Every call is answered: the replica stays in rotation and says why it is degraded.
      const ready = await app.http.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      const body = ready.json<{
        status: string;
        failing: Array<{ dependency: string; critical: boolean }>;
      }>();
      assert.equal(body.status, 'degraded');
      assert.deepEqual(
        body.failing.map((f) => [f.dependency, f.critical]),
        [['redis', false]],
      );
      const metrics = (await app.http.inject({ url: '/metrics' })).body;
      assert.match(metrics, /risk_degraded_total\{reason="velocity_unavailable"\} 1/);
    } finally {
      await app.close();
    }
  });

  test('READINESS_ON_REDIS_FAILURE=unready: /readyz is 503 naming redis', async () => {
    const app = await buildTestApp({
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_TIMEOUT_MS: '100',
      READINESS_ON_REDIS_FAILURE: 'unready',
    });
    try {
      const ready = await app.http.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      const body = ready.json<{ status: string; failing: Array<{ dependency: string }> }>();
      assert.equal(body.status, 'unavailable');
      assert.deepEqual(
        body.failing.map((f) => f.dependency),
        ['redis'],
      );
    } finally {
      await app.close();
    }
  });
});
