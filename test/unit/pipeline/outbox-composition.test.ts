import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGroupCommit } from '../../../src/adapters/shared/group-commit.ts';
import { createFallbackOutbox } from '../../../src/pipeline/fallback-outbox.ts';
import type { FlagOutbox } from '../../../src/pipeline/flag-outbox.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { MemoryOutbox, makeFlag } from '../../helpers/fakes.ts';

describe('group commit', () => {
  test('items submitted during a write share the next write; each caller waits for its own', async () => {
    const writes: number[][] = [];
    const commit = createGroupCommit<number>(async (items) => {
      writes.push(items);
      await new Promise((r) => setTimeout(r, 5));
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => commit.submit(i)));
    assert.deepEqual(writes, [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  test('a failed write fails exactly its own callers', async () => {
    let calls = 0;
    const commit = createGroupCommit<number>((items) => {
      calls += 1;
      return calls === 1
        ? Promise.reject(new Error(`disk full at ${items[0]}`))
        : Promise.resolve();
    });
    const results = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'fulfilled'],
    );
    await commit.idle();
  });
});

describe('fallback outbox', () => {
  const failing: FlagOutbox = { append: () => Promise.reject(new Error('connection refused')) };
  const hanging: FlagOutbox = { append: () => new Promise(() => undefined) };

  test('a failing primary hands the flag to the fallback, then skips the primary a while', async () => {
    let tried = 0;
    const primary: FlagOutbox = {
      append: (f) => {
        tried += 1;
        return failing.append(f);
      },
    };
    const fallback = new MemoryOutbox();
    let spilled = 0;
    const outbox = createFallbackOutbox({
      primary,
      fallback,
      timeoutMs: 100,
      coolDownMs: 60_000,
      logger: silentLogger,
      onFallback: () => (spilled += 1),
    });
    await outbox.append(makeFlag());
    await outbox.append(makeFlag());
    assert.equal(fallback.rows.length, 2);
    assert.equal(spilled, 2);
    assert.equal(tried, 1, 'the second append went straight to the fallback');
  });

  test('a primary that does not answer in time does not hold the caller', async () => {
    const fallback = new MemoryOutbox();
    const outbox = createFallbackOutbox({
      primary: hanging,
      fallback,
      timeoutMs: 30,
      logger: silentLogger,
    });
    const started = Date.now();
    await outbox.append(makeFlag());
    // Held by nothing but the timeout (the primary never answers); the margin is for a loaded
    // machine.
    assert.ok(Date.now() - started < 10_000);
    assert.equal(fallback.rows.length, 1);
  });

  test('a healthy primary takes every flag', async () => {
    const primary = new MemoryOutbox();
    const fallback = new MemoryOutbox();
    const outbox = createFallbackOutbox({
      primary,
      fallback,
      timeoutMs: 100,
      logger: silentLogger,
    });
    await outbox.append(makeFlag());
    assert.equal(primary.rows.length, 1);
    assert.equal(fallback.rows.length, 0);
  });
});
