import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { createRedisVelocityStore } from '../../src/adapters/redis/redis-velocity-store.ts';
import { velocityStoreConformance } from '../conformance/velocity-store.ts';
import { connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.ts';
import { makeTx } from '../helpers/tx.ts';

const redis = connectTestRedis();
// One prefix for the file, one below it per store: cleaning up is one scan.
const filePrefix = uniquePrefix('velocity');
let stores = 0;
after(async () => {
  await dropPrefix(redis, filePrefix);
  redis.disconnect();
});

const variants: Array<{ smallKeyEvents: number; callPerEntity: boolean }> = [
  { smallKeyEvents: 64, callPerEntity: false },
  { smallKeyEvents: 1, callPerEntity: false },
  // What a cluster does, here on one Redis: one call per entity, sent together.
  { smallKeyEvents: 64, callPerEntity: true },
];
for (const { smallKeyEvents, callPerEntity } of variants) {
  const calls = callPerEntity ? 'a call per entity' : 'one call';
  velocityStoreConformance(
    `redis (${calls}, one read for keys up to ${smallKeyEvents} events)`,
    (limits) => {
      stores += 1;
      return Promise.resolve(
        createRedisVelocityStore({
          redis,
          keyPrefix: `${filePrefix}${stores}:`,
          limits,
          smallKeyEvents,
          callPerEntity,
        }),
      );
    },
  );
}

test('a key whose window state was lost is rebuilt from its events', async () => {
  stores += 1;
  const keyPrefix = `${filePrefix}${stores}:`;
  const store = createRedisVelocityStore({ redis, keyPrefix });
  const model = createMemoryVelocityStore();
  const tx = (i: number, at: number) =>
    makeTx({
      account_id: 'rebuild',
      merchant_id: `m${i % 3}`,
      location: i % 2 ? 'US' : 'FR',
      at,
      amount: i,
    });
  for (let i = 0; i < 5; i++) {
    const t = tx(i, i * 10 * 60_000);
    assert.deepEqual(await store.record(t), await model.record(t));
  }
  // As after an upgrade from a version without it, or a state that expired on its own.
  assert.equal(
    await redis.del(`${keyPrefix}v:{account:rebuild}|v`, `${keyPrefix}v:{account:rebuild}|lm`),
    2,
  );
  for (let i = 5; i < 10; i++) {
    const t = tx(i, i * 10 * 60_000);
    assert.deepEqual(await store.record(t), await model.record(t), `transaction ${i}`);
  }
});
