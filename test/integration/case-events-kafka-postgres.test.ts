// Case events on the real services: the PostgreSQL store writes a resolved case's event in the
// resolution's transaction (conformance suite); in server mode the event reaches
// risk.case-events on the real broker exactly once, and one resolved while Kafka is stopped
// arrives after it is started again (Kafka is restarted in a `finally`: other tests share it);
// in embedded mode with Kafka the SQLite outbox does the same, the topic created at need.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/adapters/postgres/database.ts';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgCaseEventOutbox } from '../../src/adapters/postgres/pg-case-event-outbox.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgDecisionLog } from '../../src/adapters/postgres/pg-decision-log.ts';
import type { App } from '../../src/app/build-app.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/app/config.ts';
import type { CaseEvent } from '../../src/domain/case-event.ts';
import { caseEventIdFor } from '../../src/domain/case-event.ts';
import { caseIdFor } from '../../src/domain/outcomes.ts';
import { caseEventConformance } from '../conformance/case-events.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import { caseEventSchemaValidator } from '../helpers/flag-schema.ts';
import type { MessageCollector } from '../helpers/kafka.ts';
import {
  KAFKA_BROKERS,
  collectMessages,
  createTopic,
  deleteTopic,
  serverModeEnv,
  uniqueTopic,
} from '../helpers/kafka.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { serviceCtl } from '../helpers/services.ts';
import { makeTx } from '../helpers/tx.ts';

const TOKEN = 'case-events-kafka-token-0123456789';
const validate = caseEventSchemaValidator();
const root = mkdtempSync(join(tmpdir(), 'risk-case-events-kafka-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('PostgreSQL store', { timeout: 120_000 }, () => {
  let server: ThrowawayDb;
  let pg: Database;
  before(async () => {
    server = await createThrowawayDb('case_events');
    pg = createPgDatabase({ connectionString: server.url });
    await migrate(pg);
  });
  after(async () => {
    await pg.close();
    await server.drop();
  });
  caseEventConformance('postgres', async () => {
    // The table set aside by the last test's breakOutbox comes back.
    await pg.exec(
      'ALTER TABLE IF EXISTS risk_case_event_outbox_away RENAME TO risk_case_event_outbox',
    );
    await pg.exec(
      'TRUNCATE risk_decisions, risk_labels, risk_label_current, risk_cases, risk_case_event_outbox',
    );
    return {
      store: createPgDecisionLog({ db: pg }),
      outbox: createPgCaseEventOutbox({ db: pg }),
      breakOutbox: () =>
        pg.exec('ALTER TABLE risk_case_event_outbox RENAME TO risk_case_event_outbox_away'),
    };
  });
});

async function call(app: App, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await app.http.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

/** Scores a review (the risky category alone, with the threshold at 20) and waits for its case. */
async function openCase(app: App, transactionId: string, account: string): Promise<string> {
  const tx = makeTx({
    transaction_id: transactionId,
    account_id: account,
    merchant_category: '7995',
    timestamp: '2024-05-21T10:00:00Z',
  });
  assert.equal((await postScore(app, tx)).body.decision, 'review');
  const id = caseIdFor(transactionId);
  await waitFor(
    async () => (await call(app, 'GET', `/v1/cases/${id}`)).status === 200,
    30_000,
    `the case of ${transactionId} opened`,
  );
  return id;
}

async function resolve(app: App, id: string, outcome: string, comment?: string) {
  const res = await call(app, 'POST', `/v1/cases/${id}/resolve`, {
    outcome,
    ...(comment !== undefined && { comment }),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const appEnv = {
  ADMIN_TOKEN: TOKEN,
  WINDOW_FLUSH_INTERVAL_MS: '20',
  DECISION_REVIEW_THRESHOLD: '20',
};

test(
  'server mode: one event per resolved case on the topic, also when resolved while Kafka is stopped',
  { timeout: 240_000 },
  async (t) => {
    const db = await createThrowawayDb('case_events_kafka');
    const flagsTopic = uniqueTopic('flags-cases');
    const topic = `${flagsTopic}-cases`;
    await createTopic(flagsTopic);
    await createTopic(topic, 3);
    const dataDir = join(root, 'server');
    const app = await buildApp(loadConfig(serverModeEnv(db.url, flagsTopic, dataDir, appEnv)));
    let collector: MessageCollector<CaseEvent> | undefined;
    try {
      collector = await collectMessages<CaseEvent>(topic);
      const c = collector;
      const first = await openCase(app, 'ck-1', 'ck-acct-1');
      const resolved = await resolve(app, first, 'fraud', 'stolen card');
      await waitFor(() => c.received.length > 0, 60_000, 'the first event consumed');
      const outboxEmpty = async () =>
        (await db.query('SELECT 1 FROM risk_case_event_outbox')).length === 0;
      await waitFor(
        async () => (await outboxEmpty()) && (await c.caughtUp()),
        60_000,
        'outbox empty and the topic read to its end',
      );
      assert.equal(c.received.length, 1, 'exactly one message');
      const [m] = c.received;
      assert.equal(validate(m?.value), null);
      assert.equal(m?.key, 'ck-acct-1');
      assert.deepEqual(m?.headers, {
        schema: 'risk.case-event.v1',
        event_id: caseEventIdFor(first, 'resolved'),
      });
      assert.deepEqual(
        [m?.value.case_id, m?.value.transaction_id, m?.value.outcome, m?.value.comment],
        [first, 'ck-1', 'fraud', 'stolen card'],
      );
      assert.deepEqual(
        [m?.value.resolved_by, m?.value.resolved_at, m?.value.decision],
        ['admin', resolved.resolved_at, 'review'],
      );

      const second = await openCase(app, 'ck-2', 'ck-acct-2');
      // A consumer kept across the broker's restart can leave a socket behind when it stops:
      // this one stops first, and a new one reads the topic from the beginning afterwards.
      await c.stop();
      collector = undefined;
      const stopMs = serviceCtl('stop', 'kafka');
      let startMs = 0;
      try {
        await resolve(app, second, 'legit');
        const waiting = await db.query<{ payload: CaseEvent }>(
          'SELECT payload FROM risk_case_event_outbox',
        );
        assert.deepEqual(
          waiting.map((r) => r.payload.case_id),
          [second],
          'the event waits in the outbox while Kafka is down',
        );
      } finally {
        startMs = serviceCtl('start', 'kafka');
      }
      collector = await collectMessages<CaseEvent>(topic);
      const d = collector;
      await waitFor(
        () => d.received.some((r) => r.value.case_id === second),
        120_000,
        'the second event consumed after Kafka came back',
      );
      await waitFor(
        async () => (await outboxEmpty()) && (await d.caughtUp()),
        60_000,
        'outbox empty and the topic read to its end',
      );
      const ids = new Set(d.received.map((r) => r.value.event_id));
      assert.deepEqual(
        [...ids].sort(),
        [caseEventIdFor(first, 'resolved'), caseEventIdFor(second, 'resolved')].sort(),
      );
      const late = d.received.find((r) => r.value.case_id === second);
      assert.deepEqual([late?.key, late?.value.outcome], ['ck-acct-2', 'legit']);
      t.diagnostic(
        `kafka stop ${stopMs} ms, start ${startMs} ms; ${d.received.length} messages for ` +
          `${ids.size} events`,
      );
    } finally {
      serviceCtl('start', 'kafka');
      await collector?.stop().catch(() => undefined);
      await app.close();
      await deleteTopic(flagsTopic);
      await deleteTopic(topic);
      await db.drop();
    }
  },
);

test(
  'embedded SQLite with Kafka: the resolved case reaches a topic the service created',
  { timeout: 120_000 },
  async () => {
    const topic = uniqueTopic('embedded-cases');
    const app = await buildTestApp({
      ...appEnv,
      EMBEDDED_STORE: 'sqlite',
      DATA_DIR: join(root, 'embedded'),
      KAFKA_BROKERS,
      KAFKA_FLAGS_TOPIC: uniqueTopic('embedded-flags'),
      KAFKA_CASE_EVENTS_TOPIC: topic,
      KAFKA_CREATE_TOPIC: 'true',
    });
    let collector: MessageCollector<CaseEvent> | undefined;
    try {
      const id = await openCase(app, 'cs-1', 'cs-acct-1');
      await resolve(app, id, 'legit');
      const depth = async () => {
        const res = await app.http.inject({ method: 'GET', url: '/metrics' });
        return /risk_outbox_depth\{kind="case_events",outbox="sqlite"\} 0\b/.test(res.body);
      };
      // The outbox empties once the broker acknowledged the event (the topic exists by then).
      await waitFor(depth, 60_000, 'the SQLite case events outbox drained');
      collector = await collectMessages<CaseEvent>(topic);
      const c = collector;
      await waitFor(() => c.received.length > 0, 60_000, 'the event consumed');
      await waitFor(() => c.caughtUp(), 60_000, 'the topic read to its end');
      assert.deepEqual(
        c.received.map((r) => [r.key, r.value.case_id, r.value.outcome]),
        [['cs-acct-1', id, 'legit']],
      );
    } finally {
      await collector?.stop().catch(() => undefined);
      await app.close();
      await deleteTopic(topic);
    }
  },
);
