import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { createRedisDecisionCache } from '../../src/adapters/redis/redis-decision-cache.ts';
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

// The scorer's one-call first step (idempotency lookup, claim, velocity): the same velocity.
velocityStoreConformance('redis (one call with the idempotency lookup and claim)', (limits) => {
  stores += 1;
  const store = createRedisVelocityStore({
    redis,
    keyPrefix: `${filePrefix}${stores}:`,
    limits,
    idempotencyKeyPrefix: `${filePrefix}${stores}:`,
  });
  const recordFirst = store.recordFirst;
  assert.ok(recordFirst !== undefined, 'one call for all entities offers recordFirst');
  return Promise.resolve({
    ...store,
    async record(tx) {
      const first = await recordFirst(tx, 'same-payload');
      assert.equal(first.kind, 'recorded');
      return first.kind === 'recorded' ? first.features : {};
    },
  });
});

test("recordFirst: a stored answer or another payload's claim is returned and nothing is recorded", async () => {
  stores += 1;
  const keyPrefix = `${filePrefix}${stores}:`;
  const store = createRedisVelocityStore({ redis, keyPrefix, idempotencyKeyPrefix: keyPrefix });
  const decisions = createRedisDecisionCache({ redis, keyPrefix });
  const recordFirst = store.recordFirst!;
  const tx = (id: string, amount: number) =>
    makeTx({ transaction_id: id, account_id: 'first', at: 1_000, amount });

  const a = await recordFirst(tx('t1', 10), 'hash-a');
  assert.equal(a.kind, 'recorded');
  assert.equal(a.kind === 'recorded' && a.features['account.count_1h'], 1);
  // The claim is the decision cache's: a second payload under t1 sees hash-a hold it.
  assert.equal(await decisions.claim!('t1', 'hash-b'), 'hash-a');
  const b = await recordFirst(tx('t1', 99), 'hash-b');
  assert.deepEqual(b, { kind: 'claimed', payloadHash: 'hash-a' });

  const stored = { payloadHash: 'hash-c', response: { transaction_id: 't2' } } as never;
  await decisions.putIfAbsent('t2', stored);
  const c = await recordFirst(tx('t2', 50), 'hash-c');
  assert.deepEqual(c, { kind: 'stored', stored });

  // Neither the conflict nor the replay counted: the account holds t1 only, then t3.
  const d = await recordFirst(tx('t3', 1), 'hash-d');
  assert.equal(d.kind, 'recorded');
  assert.equal(d.kind === 'recorded' && d.features['account.count_1h'], 2);
  assert.equal(d.kind === 'recorded' && d.features['account.amount_1h'], 11);
  // A store that makes a call per entity (a cluster's way) has no one-call first step.
  const perEntity = createRedisVelocityStore({
    redis,
    keyPrefix,
    callPerEntity: true,
    idempotencyKeyPrefix: keyPrefix,
  });
  assert.equal(perEntity.recordFirst, undefined);
});

test('a state saved without the oldest-event bound (before it was kept) still trims on time', async () => {
  stores += 1;
  const keyPrefix = `${filePrefix}${stores}:`;
  const store = createRedisVelocityStore({ redis, keyPrefix });
  const model = createMemoryVelocityStore();
  const hour = 3_600_000;
  const tx = (at: number) => makeTx({ account_id: 'upgrade', at, amount: 1 });
  const stateKey = `${keyPrefix}v:{account:upgrade}|v`;
  const first = tx(0);
  assert.deepEqual(await store.record(first), await model.record(first));
  // The state as the previous version wrote it: the same numbers without the last one.
  const dropped = await redis.eval(
    "local v = { cmsgpack.unpack(redis.call('GET', KEYS[1])) } local n = #v table.remove(v) " +
      "redis.call('SET', KEYS[1], cmsgpack.pack(unpack(v)), 'KEEPTTL') return n",
    1,
    stateKey,
  );
  assert.equal(dropped, 19, 'the state holds 19 numbers, the bound last');
  // 25 h 10 min later: the event at 0 is past the retention and must be trimmed now, or the
  // late event at 1 h below would still count it in its last 24 h.
  for (const at of [25 * hour + 10 * 60_000, hour]) {
    const t = tx(at);
    assert.deepEqual(await store.record(t), await model.record(t), `event at ${at} ms`);
  }
});

test("an entity whose distinct set outlived its other keys still counts the set's values", async () => {
  // A new entity's distinct counts are answered without reading its sets only when none of
  // its keys exists; a set left behind (its TTL ran later than the others') is read.
  stores += 1;
  const keyPrefix = `${filePrefix}${stores}:`;
  const store = createRedisVelocityStore({ redis, keyPrefix });
  const minute = 60_000;
  const tx = (merchant: string, at: number) =>
    makeTx({ account_id: 'leftover', merchant_id: merchant, at, amount: 1 });
  await store.record(tx('m1', 0));
  const k = `${keyPrefix}v:{account:leftover}`;
  // Everything of the entity but its merchants' set goes, as if expired.
  assert.ok((await redis.del(k, `${k}|v`, `${k}|t`, `${k}|lc`, `${k}|ld`)) >= 2);
  assert.equal(await redis.exists(`${k}|lm`), 1);
  const f = await store.record(tx('m2', 5 * minute));
  assert.equal(f['account.distinct_merchants_1h'], 2, 'm1 from the set left behind, and m2');
  assert.equal(f['account.count_1h'], 1, 'the events themselves are gone');
});

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

test('a busy key stays within its documented memory (MEMORY USAGE), nothing forgotten', async () => {
  stores += 1;
  const keyPrefix = `${filePrefix}${stores}:`;
  // 200 raw events kept, 1-minute tiles; 3,000 events 30 s apart: 25 h, the retention.
  const limits = { maxEventsPerKey: 200, tileMs: 60_000 };
  const store = createRedisVelocityStore({ redis, keyPrefix, limits });
  const step = 30_000;
  const n = 3000;
  let f: Record<string, number | null> = {};
  for (let i = 0; i < n; i++) {
    f = await store.record(
      makeTx({
        account_id: `acct-${i % 500}`,
        merchant_id: 'busy',
        device_id: `dev-${i % 77}`,
        location: 'US',
        at: i * step,
        amount: 1,
      }),
    );
  }
  // The last event's 24 h: 2,880 events, plus the tile at the window's start (2 events).
  const exact = (24 * 3_600_000) / step;
  const got = f['merchant.count_24h']!;
  assert.ok(got >= exact && got <= exact + 2, `count_24h ${got}, exact ${exact}`);
  assert.equal(f['merchant.count_1h'], 120, 'the raw events span 100 min: the hour is exact');
  const key = `${keyPrefix}v:{merchant:busy}`;
  assert.equal(await redis.zcard(key), limits.maxEventsPerKey);
  const tiles = await redis.hlen(`${key}|t`);
  assert.ok(tiles <= 25 * 60 + 1, `${tiles} tiles`);
  const usage = async (k: string) => Number(await redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
  const bytes = (await usage(key)) + (await usage(`${key}|v`)) + (await usage(`${key}|t`));
  // The bound documented in the README ("Busy keys") and velocity.lua: 170 B per raw event,
  // 80 B per tile, 2 KB for the key's fixed part.
  const bound = 170 * limits.maxEventsPerKey + 80 * (25 * 60 + 1) + 2048;
  assert.ok(bytes <= bound, `${bytes} bytes > ${bound}`);
});
