/**
 * The velocity conformance suite and the idempotency claim on the Redis Cluster of
 * scripts/services.sh (3 masters, one replica each): the same semantics as one Redis and memory.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { createRedisDecisionCache } from '../../src/adapters/redis/redis-decision-cache.ts';
import {
  createRedisVelocityStore,
  entityKey,
} from '../../src/adapters/redis/redis-velocity-store.ts';
import { velocityStoreConformance } from '../conformance/velocity-store.ts';
import { dropPrefix, uniquePrefix } from '../helpers/redis.ts';
import { clusterOrSkip, connectTestCluster } from '../helpers/redis-cluster.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { makeTx } from '../helpers/tx.ts';

const skip = clusterOrSkip();
const filePrefix = uniquePrefix('cluster-velocity');
let cluster: Cluster | undefined;
let stores = 0;

function client(): Cluster {
  cluster ??= connectTestCluster();
  return cluster;
}

after(async () => {
  if (cluster === undefined) return;
  await dropPrefix(cluster, filePrefix);
  cluster.disconnect();
});

describe('Redis Cluster', skip, () => {
  for (const smallKeyEvents of [64, 1]) {
    velocityStoreConformance(
      `redis cluster (one read up to ${smallKeyEvents} events)`,
      (limits) => {
        stores += 1;
        return Promise.resolve(
          createRedisVelocityStore({
            redis: client(),
            keyPrefix: `${filePrefix}${stores}:`,
            limits,
            smallKeyEvents,
          }),
        );
      },
    );
  }

  test("one transaction's entities live on several shards, each entity in one slot", async () => {
    stores += 1;
    const keyPrefix = `${filePrefix}${stores}:`;
    const redis = client();
    const store = createRedisVelocityStore({ redis, keyPrefix });
    const tx = makeTx({
      account_id: 'spread-a',
      card_id: 'spread-c',
      device_id: 'spread-d',
      ip: '10.1.2.3',
      merchant_id: 'spread-m',
    });
    await store.record(tx);
    const slotsByEntity = new Map<string, Set<number>>();
    for (const node of redis.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        for (const k of keys) {
          const entity = /v:\{(\w+):/.exec(k)?.[1] ?? '?';
          const slot = Number(await node.call('CLUSTER', 'KEYSLOT', k));
          slotsByEntity.set(entity, (slotsByEntity.get(entity) ?? new Set()).add(slot));
        }
        cursor = next;
      } while (cursor !== '0');
    }
    assert.deepEqual([...slotsByEntity.keys()].sort(), [
      'account',
      'card',
      'device',
      'ip',
      'merchant',
    ]);
    for (const [entity, slots] of slotsByEntity) assert.equal(slots.size, 1, entity);
    const distinct = new Set([...slotsByEntity.values()].map((s) => [...s][0]));
    assert.ok(distinct.size > 1, 'the five entities hash to more than one slot');
    assert.equal(entityKey(keyPrefix, 'account', 'spread-a'), `${keyPrefix}v:{account:spread-a}`);
  });

  test('the idempotency claim and records work on the cluster', async () => {
    stores += 1;
    const cache = createRedisDecisionCache({
      redis: client(),
      keyPrefix: `${filePrefix}${stores}:`,
    });
    const ids = Array.from({ length: 20 }, (_, i) => `claim-${i}`);
    // Ids hash to every shard: each claim is one SET NX GET on the id's own slot.
    for (const id of ids) {
      assert.equal(await cache.claim?.(id, 'hash-a'), 'hash-a', 'the first claim takes it');
      assert.equal(await cache.claim?.(id, 'hash-b'), 'hash-a', 'a second sees the held one');
    }
    const response = { transaction_id: 'claim-0' } as never;
    const kept = await cache.putIfAbsent('claim-0', { payloadHash: 'hash-a', response });
    assert.deepEqual(kept, { payloadHash: 'hash-a', response });
    assert.deepEqual(await cache.get('claim-0'), { payloadHash: 'hash-a', response });
  });

  test('the service scores on the cluster: features, replays and conflicts', async () => {
    const keyPrefix = `${filePrefix}app:`;
    const app = await buildTestApp({
      REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES ?? '',
      // The cluster takes precedence: this URL, where nothing listens, is not used.
      REDIS_URL: 'redis://127.0.0.1:1',
      REDIS_KEY_PREFIX: keyPrefix,
    });
    try {
      const first = makeTx({ account_id: 'app-a', card_id: 'app-c', amount: 10 });
      const a = await postScore(app, first);
      assert.equal(a.status, 200);
      // Not degraded from the first call: the start waited for the cluster's slot map.
      assert.equal(a.body.degraded, false, JSON.stringify(a.body.degraded_reasons));
      const again = await postScore(app, first);
      assert.equal(again.headers['idempotent-replay'], 'true');
      const conflict = await postScore(app, { ...first, amount: 11 });
      assert.equal(conflict.status, 409);
      const next = await postScore(
        app,
        makeTx({ account_id: 'app-a', card_id: 'app-c', amount: 5, at: 1000 }),
      );
      const features = next.body.features as Record<string, number>;
      assert.equal(features['account.count_1m'], 2, 'the replay was not counted again');
      assert.equal(features['card.amount_1m'], 15);
      const ready = await app.http.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
    } finally {
      await app.close();
    }
  });
});
