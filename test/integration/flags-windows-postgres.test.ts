// Server mode on the real services: flags through the PostgreSQL outbox to Kafka, windows
// written to PostgreSQL, two replicas adding to the same windows. Each test has its own
// database and topic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/app/config.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgWindowStore } from '../../src/adapters/postgres/pg-window-store.ts';
import { flagIdFor } from '../../src/domain/flag.ts';
import { WindowAccumulator } from '../../src/domain/windows.ts';
import type { ScoreResponse } from '../../src/pipeline/score-response.ts';
import { postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import { flagSchemaValidator } from '../helpers/flag-schema.ts';
import { KAFKA_BROKERS, collectFlags, deleteTopic, uniqueTopic } from '../helpers/kafka.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import type { ScoredPair } from '../helpers/windows.ts';
import { expectedWindows, storedWindows, trafficTx } from '../helpers/windows.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'risk-int-emit-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function serverApp(db: ThrowawayDb, env: Record<string, string> = {}): Promise<App> {
  return buildApp(
    loadConfig({
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      RISK_WINDOW_SECONDS: '60',
      WINDOW_FLUSH_INTERVAL_MS: '100',
      ...env,
    }),
  );
}

async function score(app: App, txs: ReturnType<typeof trafficTx>[]): Promise<ScoredPair[]> {
  const pairs: ScoredPair[] = [];
  // 8 at a time: concurrent enough to exercise group commit and the buffer.
  for (let i = 0; i < txs.length; i += 8) {
    const slice = txs.slice(i, i + 8);
    const res = await Promise.all(slice.map((tx) => postScore(app, tx)));
    res.forEach((r, j) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      pairs.push({ tx: slice[j]!, response: r.body as unknown as ScoreResponse });
    });
  }
  return pairs;
}

describe('server mode on PostgreSQL and Kafka', () => {
  let db: ThrowawayDb;
  before(async () => {
    db = await createThrowawayDb('emit');
  });
  after(() => db.drop());

  test(
    'every flag reaches Kafka, valid, keyed by account_id; windows equal the recomputation',
    { timeout: 180_000 },
    async () => {
      const topic = uniqueTopic('flags-e2e');
      const app = await serverApp(db, { KAFKA_BROKERS, KAFKA_FLAGS_TOPIC: topic });
      let collector;
      try {
        const base = Date.parse('2024-03-01T12:00:00Z');
        const pairs = await score(
          app,
          Array.from({ length: 120 }, (_, i) => trafficTx('e2e', i, base)),
        );
        const flagged = pairs.filter((p) => p.response.risk_flag);
        assert.ok(flagged.length >= 30, `${flagged.length} flagged`);
        // The service created the topic on its first publish.
        collector = await collectFlags(topic);
        const c = collector;
        await waitFor(() => c.ids().size >= flagged.length, 120_000, 'all flags consumed');
        const validate = flagSchemaValidator();
        for (const r of c.received) {
          assert.equal(validate(r.flag), null);
          assert.equal(r.key, r.flag.account_id);
        }
        // Exactly the flagged answers' flags, whatever duplicates the log may hold.
        assert.deepEqual(
          [...c.ids()].sort(),
          flagged.map((p) => flagIdFor(p.tx.transaction_id)).sort(),
        );
        await waitFor(
          async () => (await db.query('SELECT 1 FROM risk_flag_outbox')).length === 0,
          60_000,
          'outbox emptied',
        );
        await app.close();
        assert.deepEqual(await storedWindows(db), expectedWindows(pairs, 60));
      } finally {
        await collector?.stop();
        await app.close();
        await deleteTopic(topic);
      }
    },
  );

  test('two replicas adding to the same windows, late events included: totals exact', async () => {
    await db.query('TRUNCATE risk_windows');
    const [a, b] = await Promise.all([
      serverApp(db, { REPLICA_ID: 'replica-a' }),
      serverApp(db, { REPLICA_ID: 'replica-b' }),
    ]);
    try {
      const base = Date.parse('2024-03-02T12:00:00Z');
      const txs = Array.from({ length: 300 }, (_, i) => trafficTx('two', i, base));
      // Late events: 40 more, an hour back, arriving last.
      const late = Array.from({ length: 40 }, (_, i) => trafficTx('late', i, base - 3_600_000));
      const [pa, pb] = await Promise.all([
        score(
          a,
          txs.filter((_, i) => i % 2 === 0),
        ),
        score(
          b,
          txs.filter((_, i) => i % 2 === 1),
        ),
      ]);
      const pl = await score(b, late);
      await Promise.all([a.close(), b.close()]);
      const stored = await storedWindows(db);
      assert.deepEqual(stored, expectedWindows([...pa, ...pb, ...pl], 60));
      const flushes = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM risk_window_flushes WHERE flush_id LIKE 'replica-a/%'",
      );
      assert.ok((flushes[0]?.n ?? 0) >= 1, 'replica-a wrote its own flushes');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('the same flush written twice at once, and again later, is counted once', async () => {
    await db.query('TRUNCATE risk_windows');
    const database = createPgDatabase({ connectionString: db.url });
    try {
      await migrate(database);
      const store = createPgWindowStore({ db: database });
      const acc = new WindowAccumulator(60_000);
      for (let i = 0; i < 50; i++) {
        const tx = trafficTx('dup', i, Date.parse('2024-03-03T12:00:00Z'));
        acc.add({ ...tx, risk_score: i % 101, risk_flag: i % 3 === 0 });
      }
      const parts = acc.list();
      await Promise.all([store.add('dup:1', parts), store.add('dup:1', parts)]);
      await store.add('dup:1', parts);
      const [all] = await db.query<{ n: number }>(
        "SELECT sum(transaction_count)::int AS n FROM risk_windows WHERE dimension = 'all'",
      );
      assert.equal(all?.n, 50);
    } finally {
      await database.close();
    }
  });
});
