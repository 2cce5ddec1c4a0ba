// Embedded mode with KAFKA_BROKERS (no DATABASE_URL): flags wait in the SQLite outbox of
// DATA_DIR/risk.sqlite while the broker cannot be reached, survive a restart there, and reach
// Kafka once it can. The unreachable broker is a closed port, so the shared broker keeps
// running for the other tests.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import type { App } from '../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import {
  KAFKA_BROKERS,
  collectFlags,
  createTopic,
  deleteTopic,
  uniqueTopic,
} from '../helpers/kafka.ts';
import { makeTx } from '../helpers/tx.ts';

const root = mkdtempSync(join(tmpdir(), 'risk-embedded-kafka-'));
after(() => rmSync(root, { recursive: true, force: true }));

function outboxDepth(dbPath: string): number {
  // A second connection, as an operator's sqlite3 shell would be.
  const db = openSqliteDatabase({ path: dbPath });
  try {
    return db.get<{ n: number }>('SELECT count(*) AS n FROM risk_flag_outbox')?.n ?? -1;
  } finally {
    db.close();
  }
}

async function metricsOf(app: App): Promise<string> {
  return (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
}

test(
  'embedded SQLite outbox: flags wait in risk.sqlite for the broker, across a restart',
  { timeout: 90_000 },
  async () => {
    const dataDir = join(root, 'data');
    const rulesDir = join(root, 'rules');
    mkdirSync(rulesDir);
    writeFileSync(
      join(rulesDir, 'decline-big.json'),
      JSON.stringify({
        name: 'decline-big',
        conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 1000 }] },
        event: { type: 'risk', params: { score: 90, action: 'decline' } },
      }),
    );
    const topic = uniqueTopic('embedded-flags');
    const env = {
      EMBEDDED_STORE: 'sqlite',
      DATA_DIR: dataDir,
      RULES_DIR: rulesDir,
      KAFKA_FLAGS_TOPIC: topic,
      KAFKA_CREATE_TOPIC: 'false',
      SHUTDOWN_TIMEOUT_MS: '1000',
    };
    const dbPath = join(dataDir, 'risk.sqlite');

    // No broker at this address: every flag stays in the SQLite outbox.
    const offline = await buildTestApp({ ...env, KAFKA_BROKERS: '127.0.0.1:1' });
    const flagIds: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const res = await postScore(offline, makeTx({ amount: 5000 + i }));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.decision, 'decline');
        flagIds.push(String(res.body.transaction_id));
      }
      // append() resolved before each answer: the rows are committed already.
      assert.equal(outboxDepth(dbPath), 5);
      assert.match(await metricsOf(offline), /risk_flag_outbox_depth\{outbox="sqlite"\} 5/);
      assert.match(await metricsOf(offline), /risk_flag_outbox_depth\{outbox="file"\} 0/);
    } finally {
      await offline.close();
    }
    assert.equal(outboxDepth(dbPath), 5, 'the flags outlive the process');

    await createTopic(topic);
    const collector = await collectFlags(topic);
    const online = await buildTestApp({ ...env, KAFKA_BROKERS });
    try {
      await waitFor(
        () => {
          const got = new Set([...collector.received].map((r) => r.flag.transaction_id));
          return flagIds.every((id) => got.has(id));
        },
        30_000,
        'the five stored flags reach Kafka after the restart',
      );
      await waitFor(() => outboxDepth(dbPath) === 0, 10_000, 'acknowledged flags are deleted');
      for (const r of collector.received) assert.equal(r.key, r.flag.account_id);
    } finally {
      await online.close();
      await collector.stop();
      await deleteTopic(topic);
    }
  },
);
