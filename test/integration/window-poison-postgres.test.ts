// Window rows that PostgreSQL refuses as data (a NUL byte, a year out of its range, an instant
// JavaScript cannot write) are set aside one key at a time; every other row of the same batches
// is written, exactly once. Each test has its own database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/adapters/postgres/database.ts';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgWindowStore } from '../../src/adapters/postgres/pg-window-store.ts';
import type { WindowAggregate, WindowInput } from '../../src/domain/windows.ts';
import { WindowAccumulator } from '../../src/domain/windows.ts';
import { silentLogger } from '../../src/pipeline/logger.ts';
import { createWindowBuffer } from '../../src/pipeline/window-buffer.ts';
import type { WindowStore } from '../../src/pipeline/window-store.ts';
import { WindowDataError } from '../../src/pipeline/window-store.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';

let db: ThrowawayDb;
let database: Database;
let store: WindowStore;
before(async () => {
  db = await createThrowawayDb('poison');
  database = createPgDatabase({ connectionString: db.url });
  await migrate(database);
  store = createPgWindowStore({ db: database });
});
after(async () => {
  await database.close();
  await db.drop();
});

function good(i: number): WindowInput {
  return {
    timestamp: new Date(Date.UTC(2024, 0, 15, 10, i % 4, i % 60)).toISOString(),
    amount: 10 + i,
    merchant_category: ['grocery', 'fuel', 'travel'][i % 3],
    location: ['US', 'FR'][i % 2],
    risk_score: (i * 13) % 101,
    risk_flag: i % 4 === 0,
  };
}

async function stored(): Promise<WindowAggregate[]> {
  const out: WindowAggregate[] = [];
  for (const dimension of ['all', 'merchant_category', 'location', 'channel'] as const)
    out.push(...(await store.query({ fromMs: 0, toMs: 2 ** 47, dimension, limit: 10_000 })));
  return out;
}

const key = (a: WindowAggregate) => `${a.windowStartMs}|${a.dimension}|${a.value}`;

test('PostgreSQL data errors are WindowDataError; a connection error is not', async () => {
  const acc = new WindowAccumulator(60_000);
  acc.add({ ...good(1), merchant_category: 'a\u0000b' });
  await assert.rejects(store.add('probe:nul', acc.list()), WindowDataError);
  const year0 = new WindowAccumulator(60_000);
  year0.add({ ...good(1), timestamp: '0000-01-01T00:00:00Z' });
  await assert.rejects(store.add('probe:year0', year0.list()), WindowDataError);
  const down = createPgWindowStore({
    db: createPgDatabase({ connectionString: 'postgres://risk:risk@127.0.0.1:1/none' }),
  });
  await assert.rejects(down.add('probe:down', acc.list()), (e: unknown) => {
    assert.ok(!(e instanceof WindowDataError));
    return true;
  });
});

test('poisoned rows are set aside, the rest of the batch and later batches are written', async () => {
  let rejected = 0;
  const buffer = createWindowBuffer({
    store,
    windowSeconds: 60,
    flushIdPrefix: `poison/${Date.now()}`,
    logger: silentLogger,
    backoff: { minMs: 5, maxMs: 20 },
    observer: {
      flushed: () => undefined,
      flushFailed: () => undefined,
      dropped: () => undefined,
      rejected: (n) => (rejected += n),
    },
  });
  const goods = Array.from({ length: 30 }, (_, i) => good(i));
  const poisons: WindowInput[] = [
    { ...good(3), merchant_category: 'a\u0000b' },
    { ...good(4), timestamp: '0000-01-01T00:00:00Z', merchant_category: undefined },
    { ...good(5), timestamp: '2016-12-31T23:59:60Z', merchant_category: undefined },
  ];
  for (const i of [...goods.slice(0, 15), ...poisons, ...goods.slice(15)]) buffer.add(i);
  assert.equal(await buffer.close(Date.now() + 20_000), true);

  const rows = new Map((await stored()).map((a) => [key(a), a]));
  // The NUL row's own key is refused; its `all` and `location` keys are ordinary ones and
  // were written with it (they count it). The year-0 and leap-second rows are refused whole.
  const all = new WindowAccumulator(60_000);
  for (const i of [...goods, poisons[0] as WindowInput]) all.add(i);
  const expected = all.list().filter((a) => a.value !== 'a\u0000b');
  assert.deepEqual([...rows.keys()].sort(), expected.map(key).sort());
  for (const e of expected) assert.deepEqual(rows.get(key(e)), e);
  assert.equal(buffer.stats().rejectedKeys, rejected);
  // The NUL key, and the year-0 and leap-second rows' keys (all and location each).
  assert.equal(rejected, 1 + 2 + 2);
});
