import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryWindowStore } from '../../../src/adapters/memory/memory-window-store.ts';
import type { WindowAggregate, WindowInput } from '../../../src/domain/windows.ts';
import { WindowAccumulator } from '../../../src/domain/windows.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { createWindowBuffer } from '../../../src/pipeline/window-buffer.ts';
import type { WindowStore } from '../../../src/pipeline/window-store.ts';
import { waitFor } from '../../helpers/fakes.ts';

const MIN = 60_000;
const fast = { minMs: 1, maxMs: 5 };

function tx(i: number): WindowInput {
  return {
    timestamp: new Date(Date.UTC(2024, 0, 15, 10, i % 3, i % 60)).toISOString(),
    amount: 10.1 * (i + 1),
    location: ['US', 'CN', 'FR'][i % 3],
    channel: i % 2 === 0 ? 'web' : 'pos',
    risk_score: (i * 37) % 101,
    risk_flag: (i * 37) % 101 >= 50,
  };
}

/** The memory store, with writes that fail on demand (before or after applying). */
function flakyStore() {
  const inner = createMemoryWindowStore();
  const state = { failBefore: 0, failAfter: 0, attempts: [] as string[] };
  const store: WindowStore = {
    async add(flushId: string, parts: readonly WindowAggregate[]) {
      state.attempts.push(flushId);
      if (state.failBefore > 0) {
        state.failBefore -= 1;
        throw new Error('connection refused');
      }
      await inner.add(flushId, parts);
      if (state.failAfter > 0) {
        state.failAfter -= 1;
        // Committed, but the caller never hears: the outcome is unknown to it.
        throw new Error('connection lost after commit');
      }
    },
    query: (q) => inner.query(q),
  };
  return { store, state, inner };
}

async function stored(store: WindowStore): Promise<WindowAggregate[]> {
  const out: WindowAggregate[] = [];
  for (const dimension of ['all', 'merchant_category', 'location', 'channel'] as const)
    out.push(...(await store.query({ fromMs: 0, toMs: 2 ** 50, dimension, limit: 10_000 })));
  return out;
}

function expected(inputs: WindowInput[]): WindowAggregate[] {
  const acc = new WindowAccumulator(MIN);
  for (const i of inputs) acc.add(i);
  return acc.list();
}

const sortKeys = (a: WindowAggregate[]) =>
  [...a].sort((x, y) =>
    `${x.windowStartMs}${x.dimension}${x.value}`.localeCompare(
      `${y.windowStartMs}${y.dimension}${y.value}`,
    ),
  );

describe('window buffer', () => {
  test('a write whose outcome was unknown is retried with the same id: counted once', async () => {
    const { store, state } = flakyStore();
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: fast,
    });
    const inputs = Array.from({ length: 50 }, (_, i) => tx(i));
    for (const i of inputs.slice(0, 30)) buffer.add(i);
    state.failAfter = 1;
    assert.equal(await buffer.flush(), false);
    // New transactions meanwhile go to a new batch, never into the one awaiting its retry.
    for (const i of inputs.slice(30)) buffer.add(i);
    assert.equal(await buffer.close(Date.now() + 2000), true);
    assert.deepEqual(state.attempts, ['r1/boot:1', 'r1/boot:1', 'r1/boot:2']);
    assert.deepEqual(sortKeys(await stored(store)), sortKeys(expected(inputs)));
  });

  test('writes failing for a while lose nothing and count nothing twice', async () => {
    const { store, state } = flakyStore();
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: fast,
    });
    const inputs = Array.from({ length: 200 }, (_, i) => tx(i));
    state.failBefore = 3;
    state.failAfter = 2;
    for (const [n, i] of inputs.entries()) {
      buffer.add(i);
      if (n % 20 === 19) await buffer.flush();
    }
    assert.equal(await buffer.close(Date.now() + 2000), true);
    assert.deepEqual(sortKeys(await stored(store)), sortKeys(expected(inputs)));
  });

  test('at the key bound, held keys still count and new keys are dropped and reported', async () => {
    const { store, state } = flakyStore();
    let dropped = 0;
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: fast,
      maxKeys: 4,
      observer: {
        flushed: () => undefined,
        flushFailed: () => undefined,
        dropped: (n) => (dropped += n),
      },
    });
    state.failBefore = 1_000;
    const at = (m: number, location: string): WindowInput => ({
      timestamp: new Date(Date.UTC(2024, 0, 15, 10, m)).toISOString(),
      amount: 1,
      location,
      risk_score: 1,
      risk_flag: false,
    });
    buffer.add(at(0, 'US')); // all + US
    await buffer.flush(); // fails: 2 keys await their retry
    buffer.add(at(0, 'US')); // 2 more keys in the new batch: 4 held
    buffer.add(at(0, 'CN')); // CN would be a fifth key
    buffer.add(at(1, 'US')); // a new window: two new keys
    assert.equal(buffer.stats().bufferedKeys, 4);
    assert.equal(dropped, 3);
    state.failBefore = 0;
    assert.equal(await buffer.close(Date.now() + 2000), true);
    const [all] = await store.query({ fromMs: 0, toMs: 2 ** 50, dimension: 'all', limit: 10 });
    assert.equal(all?.count, 3, 'the "all" key of window 10:00 was held: all three counted');
  });

  test('close gives up at its deadline when the store stays down', async () => {
    const { store, state } = flakyStore();
    state.failBefore = 1_000_000;
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      logger: silentLogger,
      backoff: fast,
    });
    buffer.add(tx(1));
    const started = Date.now();
    assert.equal(await buffer.close(Date.now() + 200), false);
    // Bounded by the deadline, not by the store; the margin is for a loaded machine.
    assert.ok(Date.now() - started < 10_000);
    assert.ok(buffer.stats().oldestUnwrittenMs !== null);
  });

  test('the timer writes every flushIntervalMs', async () => {
    const { store, inner } = flakyStore();
    const buffer = createWindowBuffer({
      store,
      windowSeconds: 60,
      flushIdPrefix: 'r1/boot',
      flushIntervalMs: 20,
      logger: silentLogger,
    });
    buffer.start();
    buffer.add(tx(1));
    // Nothing but the timer flushes here: wait for its write, then check it wrote once.
    await waitFor(() => inner.flushCount() >= 1, 30_000, 'the timer flushed');
    assert.equal(inner.flushCount(), 1);
    assert.equal(buffer.stats().bufferedKeys, 0);
    await buffer.close(Date.now() + 1000);
  });
});
