/**
 * Conformance suites for the outbox stores and the window stores: the file outbox, the memory
 * window store and the SQLite ones run them as unit tests, the PostgreSQL ones against the real
 * server (integration).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowAccumulator } from '../../src/domain/windows.ts';
import type { OutboxStore } from '../../src/pipeline/flag-outbox.ts';
import type { WindowStore } from '../../src/pipeline/window-store.ts';
import { makeFlag, waitFor } from '../helpers/fakes.ts';

export function outboxConformance(name: string, make: () => Promise<OutboxStore>): void {
  describe(`OutboxStore conformance: ${name}`, () => {
    test('claim gives the appended flags oldest first; ack forgets them', async () => {
      const outbox = await make();
      try {
        const flags = Array.from({ length: 12 }, () => makeFlag());
        for (const f of flags) await outbox.append(f);
        assert.equal((await outbox.stats()).depth, 12);
        const a = await outbox.claim(5);
        assert.deepEqual(
          a?.records.map((f) => f.flag_id),
          flags.slice(0, 5).map((f) => f.flag_id),
        );
        await a?.ack();
        const rest = await outbox.claim(100);
        assert.deepEqual(
          rest?.records.map((f) => f.flag_id),
          flags.slice(5).map((f) => f.flag_id),
        );
        await rest?.ack();
        assert.equal(await outbox.claim(100), null);
        assert.deepEqual(await outbox.stats(), { depth: 0, oldestAppendedAtMs: null });
      } finally {
        await outbox.close();
      }
    });

    test('a released batch comes back after its delay, with its content intact', async () => {
      const outbox = await make();
      try {
        const flag = makeFlag();
        await outbox.append(flag);
        const stats = await outbox.stats();
        assert.ok(
          stats.oldestAppendedAtMs !== null && Date.now() - stats.oldestAppendedAtMs < 60_000,
        );
        const a = await outbox.claim(10);
        await a?.release(50, 'broker down');
        // Claimable again once its delay has passed (a loaded machine may take longer).
        const got: { batch: Awaited<ReturnType<typeof outbox.claim>> } = { batch: null };
        await waitFor(
          async () => (got.batch = await outbox.claim(10)) !== null,
          30_000,
          'the released batch claimable again',
        );
        assert.deepEqual(got.batch?.records, [flag]);
        await got.batch?.ack();
      } finally {
        await outbox.close();
      }
    });

    test('appends wake the relay', async () => {
      const outbox = await make();
      try {
        let woken = 0;
        outbox.onAppend(() => (woken += 1));
        await Promise.all([outbox.append(makeFlag()), outbox.append(makeFlag())]);
        assert.ok(woken >= 1);
        await (await outbox.claim(10))?.ack();
      } finally {
        await outbox.close();
      }
    });
  });
}

export function windowStoreConformance(name: string, make: () => Promise<WindowStore>): void {
  describe(`WindowStore conformance: ${name}`, () => {
    const at = (m: number, s = 0) => new Date(Date.UTC(2024, 0, 15, 10, m, s)).toISOString();
    const inputs = [
      { timestamp: at(0, 5), amount: 1000, location: 'US', risk_score: 30, risk_flag: false },
      { timestamp: at(0, 9), amount: 5000, location: 'CN', risk_score: 85, risk_flag: true },
      {
        timestamp: at(1),
        amount: 0.1,
        location: 'US',
        channel: 'web',
        risk_score: 15,
        risk_flag: false,
      },
    ];

    test('parts add up; a flush id is applied once; rows come back oldest first', async () => {
      const store = await make();
      const half = (xs: typeof inputs) => {
        const acc = new WindowAccumulator(60_000);
        for (const x of xs) acc.add(x);
        return acc.list();
      };
      await store.add('c:1', half(inputs.slice(0, 2)));
      await store.add('c:1', half(inputs.slice(0, 2)));
      await store.add('c:2', half(inputs.slice(2)));
      await store.add('c:3', half([{ ...inputs[2]!, amount: 0.2 }]));
      const all = await store.query({
        fromMs: Date.parse(at(0)),
        toMs: Date.parse(at(5)),
        dimension: 'all',
        limit: 100,
      });
      assert.deepEqual(
        all.map((w) => [
          new Date(w.windowStartMs).toISOString(),
          w.count,
          w.amountMicros,
          w.highRisk,
          w.flagged,
          w.scoreSum,
          w.maxScore,
        ]),
        [
          ['2024-01-15T10:00:00.000Z', 2, 6_000_000_000n, 1, 1, 115, 85],
          ['2024-01-15T10:01:00.000Z', 2, 300_000n, 0, 0, 30, 15],
        ],
      );
      const us = await store.query({
        fromMs: Date.parse(at(0)),
        toMs: Date.parse(at(1)),
        dimension: 'location',
        limit: 100,
      });
      assert.deepEqual(
        us.map((w) => w.value),
        ['CN', 'US'],
      );
      const limited = await store.query({
        fromMs: 0,
        toMs: Date.parse(at(5)),
        dimension: 'location',
        limit: 1,
      });
      assert.equal(limited.length, 1);
    });
  });
}
