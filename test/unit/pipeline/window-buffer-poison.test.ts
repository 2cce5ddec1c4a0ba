import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryWindowStore } from '../../../src/adapters/memory/memory-window-store.ts';
import type { WindowAggregate, WindowInput } from '../../../src/domain/windows.ts';
import { WindowAccumulator } from '../../../src/domain/windows.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { createWindowBuffer } from '../../../src/pipeline/window-buffer.ts';
import type { WindowStore } from '../../../src/pipeline/window-store.ts';
import { WindowDataError } from '../../../src/pipeline/window-store.ts';

const MIN = 60_000;
const POISON = 'poison';

function tx(i: number, merchant_category?: string): WindowInput {
  return {
    timestamp: new Date(Date.UTC(2024, 0, 15, 10, i % 5, i % 60)).toISOString(),
    amount: 1 + i,
    location: ['US', 'CN', 'FR', 'DE'][i % 4],
    channel: i % 2 === 0 ? 'web' : 'pos',
    ...(merchant_category !== undefined && { merchant_category }),
    risk_score: (i * 37) % 101,
    risk_flag: i % 3 === 0,
  };
}

/**
 * The memory store, refusing as data (like PostgreSQL refusing a NUL byte) every batch that
 * holds the key `merchant_category = poison`, and failing like a lost connection on demand.
 */
function storeRejectingOneKey() {
  const inner = createMemoryWindowStore();
  const state = { transient: 0, attempts: [] as Array<{ id: string; keys: number }> };
  const store: WindowStore = {
    async add(flushId, parts) {
      state.attempts.push({ id: flushId, keys: parts.length });
      if (state.transient > 0) {
        state.transient -= 1;
        throw new Error('connection lost');
      }
      if (parts.some((p) => p.value === POISON))
        throw new WindowDataError('invalid byte sequence for encoding "UTF8": 0x00');
      await inner.add(flushId, parts);
    },
    query: (q) => inner.query(q),
  };
  return { store, state };
}

async function stored(store: WindowStore): Promise<WindowAggregate[]> {
  const out: WindowAggregate[] = [];
  for (const dimension of ['all', 'merchant_category', 'location', 'channel'] as const)
    out.push(...(await store.query({ fromMs: 0, toMs: 2 ** 50, dimension, limit: 10_000 })));
  return out.sort((x, y) =>
    `${x.windowStartMs}${x.dimension}${x.value}`.localeCompare(
      `${y.windowStartMs}${y.dimension}${y.value}`,
    ),
  );
}

function expectedWithout(inputs: WindowInput[], value: string): WindowAggregate[] {
  const acc = new WindowAccumulator(MIN);
  for (const i of inputs) acc.add(i);
  return acc
    .list()
    .filter((a) => a.value !== value)
    .sort((x, y) =>
      `${x.windowStartMs}${x.dimension}${x.value}`.localeCompare(
        `${y.windowStartMs}${y.dimension}${y.value}`,
      ),
    );
}

describe('window buffer: a key the store refuses as data', () => {
  test('is set aside and counted; every other key is written exactly once', async () => {
    const { store, state } = storeRejectingOneKey();
    let rejected = 0;
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: { minMs: 1, maxMs: 5 },
      observer: {
        flushed: () => undefined,
        flushFailed: () => undefined,
        dropped: () => undefined,
        rejected: (n) => (rejected += n),
      },
    });
    const inputs = Array.from({ length: 40 }, (_, i) => tx(i, i === 17 ? POISON : 'grocery'));
    for (const i of inputs) buffer.add(i);
    // A bounded number of attempts ends it: the poisoned key is isolated by halving.
    assert.equal(await buffer.close(Date.now() + 5000), true);
    assert.equal(buffer.stats().bufferedKeys, 0);
    assert.equal(buffer.stats().rejectedKeys, 1);
    assert.equal(rejected, 1);
    assert.deepEqual(await stored(store), expectedWithout(inputs, POISON));
    // Each flush id was written at most once successfully, and none twice.
    const ids = state.attempts.map((a) => a.id);
    assert.ok(ids.length < 40, `${ids.length} attempts`);
  });

  test('windows added after the poisoned batch flow on', async () => {
    const { store } = storeRejectingOneKey();
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: { minMs: 1, maxMs: 5 },
    });
    const first = [tx(1, POISON), tx(2, 'fuel')];
    for (const i of first) buffer.add(i);
    await buffer.flush();
    const later = [tx(3, 'fuel'), tx(4, 'travel')];
    for (const i of later) buffer.add(i);
    for (let n = 0; n < 20 && !(await buffer.flush()); n += 1);
    assert.equal(buffer.stats().bufferedKeys, 0);
    assert.deepEqual(await stored(store), expectedWithout([...first, ...later], POISON));
  });

  test('a transient failure keeps the batch whole and retries it with its id', async () => {
    const { store, state } = storeRejectingOneKey();
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: { minMs: 1, maxMs: 5 },
    });
    const inputs = Array.from({ length: 10 }, (_, i) => tx(i, 'grocery'));
    for (const i of inputs) buffer.add(i);
    state.transient = 3;
    assert.equal(await buffer.close(Date.now() + 5000), true);
    assert.deepEqual(
      state.attempts.map((a) => a.id),
      ['r1/boot:1', 'r1/boot:1', 'r1/boot:1', 'r1/boot:1'],
    );
    assert.equal(buffer.stats().rejectedKeys, 0);
    assert.deepEqual(await stored(store), expectedWithout(inputs, POISON));
  });
});
