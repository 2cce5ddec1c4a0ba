// The embedded outbox and window store on a real SQLite file: the shared conformance suites,
// then what SQLite makes worth checking on its own (exact money beyond 64-bit, atomic flushes,
// flags surviving a reopen).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import { createSqliteFlagOutbox } from '../../../src/adapters/sqlite/sqlite-flag-outbox.ts';
import { createSqliteWindowStore } from '../../../src/adapters/sqlite/sqlite-window-store.ts';
import type { WindowAggregate } from '../../../src/domain/windows.ts';
import { WindowDataError } from '../../../src/pipeline/window-store.ts';
import { outboxConformance, windowStoreConformance } from '../../conformance/emit-stores.ts';
import { makeFlag } from '../../helpers/fakes.ts';
import type { ThrowawaySqlite } from '../../helpers/sqlite.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';

const made: ThrowawaySqlite[] = [];
after(() => {
  for (const s of made) s.drop();
});
function fresh(): ThrowawaySqlite {
  const s = createThrowawaySqlite();
  made.push(s);
  return s;
}

outboxConformance('sqlite', () => Promise.resolve(createSqliteFlagOutbox({ db: fresh().db })));
windowStoreConformance('sqlite', () =>
  Promise.resolve(createSqliteWindowStore({ db: fresh().db })),
);

const START = Date.UTC(2024, 0, 15, 10, 0);
function part(over: Partial<WindowAggregate> = {}): WindowAggregate {
  return {
    windowStartMs: START,
    windowEndMs: START + 60_000,
    dimension: 'all',
    value: '*',
    amountMicros: 1_000_000n,
    count: 1,
    highRisk: 0,
    flagged: 0,
    scoreSum: 10,
    maxScore: 10,
    ...over,
  };
}
const all = { fromMs: START, toMs: START + 60_000, dimension: 'all' as const, limit: 10 };

describe('SQLite window store', () => {
  test('sums stay exact past 64-bit micro-units and for decimal fractions', async () => {
    const store = createSqliteWindowStore({ db: fresh().db });
    // 1e12 is the largest amount a transaction may carry: twenty of them are 2e19 micro-units,
    // more than an SQLite INTEGER holds (9.2e18).
    for (let i = 0; i < 20; i++)
      await store.add(`big:${i}`, [part({ amountMicros: 1_000_000_000_000_000_000n })]);
    const [big] = await store.query(all);
    assert.equal(big?.amountMicros, 20_000_000_000_000_000_000n);
    assert.equal(big?.count, 20);

    const other = { ...all, dimension: 'channel' as const };
    await store.add('f:1', [part({ dimension: 'channel', value: 'web', amountMicros: 100_000n })]);
    await store.add('f:2', [part({ dimension: 'channel', value: 'web', amountMicros: 200_000n })]);
    const [web] = await store.query(other);
    assert.equal(web?.amountMicros, 300_000n, '0.1 + 0.2 is exactly 0.3');
  });

  test('a flush that fails half-way leaves nothing, and its retry is applied once', async () => {
    const store = createSqliteWindowStore({ db: fresh().db });
    const good = part({ amountMicros: 5_000_000n, maxScore: 85, highRisk: 1 });
    // The second row breaks the dimension CHECK after the first was written.
    const bad = part({ dimension: 'nonsense' as WindowAggregate['dimension'] });
    await assert.rejects(store.add('r:1', [good, bad]), /CHECK constraint failed/);
    assert.deepEqual(await store.query(all), []);
    await store.add('r:1', [good]);
    await store.add('r:1', [good]);
    const rows = await store.query(all);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.amountMicros, 5_000_000n);
    assert.equal(rows[0]?.count, 1);
    assert.equal(rows[0]?.maxScore, 85);
  });

  test('parts the database refuses are a WindowDataError, and nothing of the flush is kept', async () => {
    const store = createSqliteWindowStore({ db: fresh().db });
    // A dimension outside the CHECK constraint: refused by the table, as a poisoned part is.
    const bad = part({ dimension: 'bogus' as WindowAggregate['dimension'] });
    await assert.rejects(store.add('poison:1', [part(), bad]), WindowDataError);
    assert.deepEqual(await store.query(all), []);
    // The same flush id without the bad part is applied: the failed attempt recorded nothing.
    await store.add('poison:1', [part()]);
    assert.equal((await store.query(all))[0]?.count, 1);
  });

  test('the stored row carries the derived average and flag (DESIGN.md §4.8)', async () => {
    const s = fresh();
    const store = createSqliteWindowStore({ db: s.db });
    await store.add('d:1', [part({ scoreSum: 130, count: 3, highRisk: 1, maxScore: 85 })]);
    const row = s.db.get<{ avg_risk_score: number; risk_flag: number; total_amount: string }>(
      'SELECT avg_risk_score, risk_flag, total_amount FROM risk_windows',
    );
    assert.deepEqual({ ...row }, { avg_risk_score: 43.33, risk_flag: 1, total_amount: '1.000000' });
  });
});

describe('SQLite flag outbox', () => {
  test('a flag appended twice is one row; a claimed batch is leased, not handed out again', async () => {
    const outbox = createSqliteFlagOutbox({ db: fresh().db });
    const flags = Array.from({ length: 5 }, () => makeFlag());
    await Promise.all(flags.map((f) => outbox.append(f)));
    await outbox.append(flags[0]!);
    assert.equal((await outbox.stats()).depth, 5);
    const first = await outbox.claim(3);
    const second = await outbox.claim(10);
    assert.deepEqual(
      [...(first?.records ?? []), ...(second?.records ?? [])].map((f) => f.flag_id),
      flags.map((f) => f.flag_id),
    );
    assert.equal(await outbox.claim(10), null, 'every row is leased');
    await first?.ack();
    await second?.ack();
    assert.equal((await outbox.stats()).depth, 0);
    await outbox.close();
  });

  test('appended flags survive closing and reopening the database, oldest first', async () => {
    const s = fresh();
    const flags = Array.from({ length: 3 }, () => makeFlag());
    const outbox = createSqliteFlagOutbox({ db: s.db });
    for (const f of flags) await outbox.append(f);
    await outbox.close();
    s.db.close();

    const db = openSqliteDatabase({ path: s.path });
    try {
      const reopened = createSqliteFlagOutbox({ db });
      const batch = await reopened.claim(10);
      assert.deepEqual(batch?.records, flags);
      await batch?.ack();
    } finally {
      db.close();
    }
  });
});
