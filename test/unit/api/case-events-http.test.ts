import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import { createSqliteDecisionLog } from '../../../src/adapters/sqlite/sqlite-decision-log.ts';
import type { App } from '../../../src/app/build-app.ts';
import { SQLITE_FILE } from '../../../src/app/stores.ts';
import type { CaseEvent } from '../../../src/domain/case-event.ts';
import { caseEventIdFor } from '../../../src/domain/case-event.ts';
import { caseIdFor } from '../../../src/domain/outcomes.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { caseEventSchemaValidator } from '../../helpers/flag-schema.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * Embedded mode without Kafka: a resolved case's event reaches DATA_DIR/case-events.ndjson
 * through the store's outbox (SQLite table, or memory), once; an event committed while no
 * relay ran (a crash right after the resolution) is written at the next start.
 */

const TOKEN = 'case-events-test-token-0123456789';
const validate = caseEventSchemaValidator();

const env = (store: string, dataDir: string) => ({
  ADMIN_TOKEN: TOKEN,
  EMBEDDED_STORE: store,
  DATA_DIR: dataDir,
  WINDOW_FLUSH_INTERVAL_MS: '20',
  // The risky category alone (20) is then a review.
  DECISION_REVIEW_THRESHOLD: '20',
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

const reviewTx = (id: string, account: string) =>
  makeTx({
    transaction_id: id,
    account_id: account,
    merchant_category: '7995',
    timestamp: '2024-05-21T10:00:00Z',
  });

function fileEvents(dataDir: string): CaseEvent[] {
  const path = join(dataDir, 'case-events.ndjson');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CaseEvent);
}

async function caseOpened(app: App, transactionId: string): Promise<void> {
  await waitFor(
    async () => (await call(app, 'GET', `/v1/cases/${caseIdFor(transactionId)}`)).status === 200,
    30_000,
    `the case of ${transactionId} opened`,
  );
}

/** The case events outbox is empty, as the metrics say. */
async function outboxEmpty(app: App): Promise<boolean> {
  const res = await app.http.inject({ method: 'GET', url: '/metrics' });
  return /risk_outbox_depth\{kind="case_events",outbox="[a-z]+"\} 0\b/.test(res.body);
}

for (const store of ['sqlite', 'memory'] as const) {
  describe(`case events to the local file (${store})`, { timeout: 120_000 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `risk-case-events-${store}-`));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    test('a resolved case writes one event line; a repeated resolve writes none', async () => {
      const app = await buildTestApp(env(store, dataDir));
      try {
        assert.equal((await postScore(app, reviewTx('ce-1', 'ce-acct-1'))).body.decision, 'review');
        await caseOpened(app, 'ce-1');
        const id = caseIdFor('ce-1');
        assert.equal((await call(app, 'POST', `/v1/cases/${id}/claim`)).status, 200);
        const resolved = await call(app, 'POST', `/v1/cases/${id}/resolve`, {
          outcome: 'legit',
          comment: 'customer confirmed',
        });
        assert.equal(resolved.status, 200);
        await waitFor(() => fileEvents(dataDir).length > 0, 30_000, 'the event in the file');
        assert.equal(
          (await call(app, 'POST', `/v1/cases/${id}/resolve`, { outcome: 'fraud' })).status,
          409,
        );
        await waitFor(() => outboxEmpty(app), 30_000, 'the case events outbox drained');
        const events = fileEvents(dataDir);
        assert.equal(events.length, 1);
        const [event] = events;
        assert.equal(validate(event), null);
        assert.deepEqual(
          {
            event_id: event?.event_id,
            event: event?.event,
            case_id: event?.case_id,
            transaction_id: event?.transaction_id,
            account_id: event?.account_id,
            outcome: event?.outcome,
            comment: event?.comment,
            resolved_by: event?.resolved_by,
            decision: event?.decision,
            resolved_at: event?.resolved_at,
          },
          {
            event_id: caseEventIdFor(id, 'resolved'),
            event: 'resolved',
            case_id: id,
            transaction_id: 'ce-1',
            account_id: 'ce-acct-1',
            outcome: 'legit',
            comment: 'customer confirmed',
            resolved_by: 'admin',
            decision: 'review',
            resolved_at: resolved.body.resolved_at,
          },
        );
        const metrics = (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(metrics, /risk_case_events_published_total\{outbox="[a-z]+"\} 1\b/);
      } finally {
        await app.close();
      }
    });
  });
}

describe('case events committed while no relay ran (SQLite)', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-case-events-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('are written to the file at the next start', async () => {
    const first = await buildTestApp(env('sqlite', dataDir));
    try {
      assert.equal((await postScore(first, reviewTx('cr-1', 'cr-acct-1'))).body.decision, 'review');
      await caseOpened(first, 'cr-1');
    } finally {
      await first.close();
    }
    // What the service leaves when it dies right after committing a resolution: the case
    // resolved, its event in the outbox table, nothing published.
    const db = openSqliteDatabase({ path: join(dataDir, SQLITE_FILE) });
    try {
      await createSqliteDecisionLog({ db }).resolveCase(
        caseIdFor('cr-1'),
        'ana',
        'fraud',
        '',
        Date.now(),
      );
    } finally {
      db.close();
    }
    assert.deepEqual(fileEvents(dataDir), []);

    const second = await buildTestApp(env('sqlite', dataDir));
    try {
      await waitFor(() => fileEvents(dataDir).length > 0, 30_000, 'the event after the restart');
      await waitFor(() => outboxEmpty(second), 30_000, 'the case events outbox drained');
      assert.deepEqual(
        fileEvents(dataDir).map((e) => [e.transaction_id, e.outcome, e.resolved_by]),
        [['cr-1', 'fraud', 'ana']],
      );
    } finally {
      await second.close();
    }
  });
});
