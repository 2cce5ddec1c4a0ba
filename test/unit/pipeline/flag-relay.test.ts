import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/pipeline/backoff.ts';
import { createFlagRelay } from '../../../src/pipeline/flag-relay.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { FakePublisher, MemoryOutbox, makeFlag, waitFor } from '../../helpers/fakes.ts';

const fast = { minMs: 5, maxMs: 40 };

describe('flag relay', () => {
  test('a burst appended within the linger goes out as one batch', async () => {
    const store = new MemoryOutbox();
    // Counts the claims that found nothing: the first one means the relay has gone idle.
    let emptyClaims = 0;
    const claim = store.claim.bind(store);
    store.claim = async (max) => {
      const batch = await claim(max);
      if (batch === null) emptyClaims += 1;
      return batch;
    };
    const publisher = new FakePublisher();
    const relay = createFlagRelay({ store, publisher, logger: silentLogger, lingerMs: 20 });
    relay.start();
    try {
      // Let the relay find the empty outbox and go idle first.
      await waitFor(() => emptyClaims >= 1, 30_000, 'the relay found the outbox empty');
      for (let i = 0; i < 10; i++) await store.append(makeFlag());
      await waitFor(() => store.rows.length === 0, 30_000, 'outbox emptied');
      assert.equal(publisher.batches.length, 1);
      assert.equal(publisher.batches[0]?.length, 10);
    } finally {
      await relay.stop();
    }
  });

  test('batches are at most batchMax flags', async () => {
    const store = new MemoryOutbox();
    for (let i = 0; i < 25; i++) await store.append(makeFlag());
    const publisher = new FakePublisher();
    const relay = createFlagRelay({ store, publisher, logger: silentLogger, batchMax: 10 });
    relay.start();
    assert.equal(await relay.drain(Date.now() + 2000), true);
    assert.deepEqual(
      publisher.batches.map((b) => b.length),
      [10, 10, 5],
    );
  });

  test('while the broker is down, flags stay in the outbox; they all go once it is back', async () => {
    const store = new MemoryOutbox();
    const publisher = new FakePublisher();
    publisher.down = true;
    let failedFlags = 0;
    const relay = createFlagRelay({
      store,
      publisher,
      logger: silentLogger,
      backoff: fast,
      pollIntervalMs: 10,
      observer: { published: () => undefined, failed: (_s, n) => (failedFlags += n) },
    });
    relay.start();
    try {
      const flags = Array.from({ length: 7 }, () => makeFlag());
      for (const f of flags) await store.append(f);
      await waitFor(() => publisher.attempts >= 3, 30_000, 'three failed attempts');
      assert.equal(store.rows.length, 7, 'nothing forgotten while failing');
      assert.ok(failedFlags >= 7);
      publisher.down = false;
      await waitFor(() => store.rows.length === 0, 30_000, 'outbox emptied');
      const ids = publisher.published.map((f) => f.flag_id).sort();
      assert.deepEqual(ids, flags.map((f) => f.flag_id).sort());
    } finally {
      await relay.stop();
    }
  });

  test('a failing claim is retried after a backoff', async () => {
    const store = new MemoryOutbox();
    store.failClaims = 2;
    await store.append(makeFlag());
    const publisher = new FakePublisher();
    const relay = createFlagRelay({ store, publisher, logger: silentLogger, backoff: fast });
    relay.start();
    assert.equal(await relay.drain(Date.now() + 2000), true);
    assert.equal(publisher.published.length, 1);
  });

  test('drain gives up at its deadline and leaves the flags in the outbox', async () => {
    const store = new MemoryOutbox();
    await store.append(makeFlag());
    const publisher = new FakePublisher();
    publisher.down = true;
    const relay = createFlagRelay({ store, publisher, logger: silentLogger, backoff: fast });
    relay.start();
    const started = Date.now();
    assert.equal(await relay.drain(Date.now() + 300), false);
    // Bounded by the deadline: without it, drain would wait for the broker for ever. The margin
    // is for a loaded machine, not a measure of speed.
    assert.ok(Date.now() - started < 10_000, 'bounded by the deadline');
    assert.equal(store.rows.length, 1);
  });

  const delays: Array<[number, number, number]> = [
    [1, 100, 200],
    [2, 200, 400],
    [3, 400, 800],
    [10, 5000, 10_000],
  ];
  for (const [failures, low, high] of delays) {
    test(`backoff after ${failures} failures lies in [${low}, ${high}] ms`, () => {
      const policy = { minMs: 200, maxMs: 10_000 };
      assert.equal(
        backoffDelay(failures, policy, () => 0),
        low,
      );
      assert.equal(
        backoffDelay(failures, policy, () => 1),
        high,
      );
    });
  }
});
