// Review cases opened once per transaction across replicas: two replicas sharing one database
// (the real PostgreSQL, then one embedded SQLite file) get concurrent retries of the same review
// transaction and of distinct ones; each transaction has one case, whatever replica scored it
// and however often. Without a shared idempotency store (no Redis) both replicas score and log
// the transaction: the case id derived from the transaction_id makes the second write a no-op.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../helpers/app.ts';
import { waitFor } from '../helpers/fakes.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { TEST_REDIS_URL, connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.ts';
import { makeTx } from '../helpers/tx.ts';

const TOKEN = 'cases-replicas-token-0123456789';
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function replicas(env: Record<string, string>[]): Promise<App[]> {
  const apps = await Promise.all(
    env.map((e) =>
      buildTestApp({
        ADMIN_TOKEN: TOKEN,
        WINDOW_FLUSH_INTERVAL_MS: '20',
        // The risky merchant category alone (20) is a review.
        DECISION_REVIEW_THRESHOLD: '20',
        ...e,
      }),
    ),
  );
  cleanups.push(() => Promise.all(apps.map((a) => a.close())).then(() => undefined));
  return apps;
}

async function openCases(app: App): Promise<Array<{ transaction_id: string; case_id: string }>> {
  const res = await app.http.inject({
    method: 'GET',
    url: '/v1/cases?status=open&limit=1000',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ cases: Array<{ transaction_id: string; case_id: string }> }>().cases;
}

/** 10 review transactions, each sent 6 times at once, alternating between the replicas. */
async function storm(apps: App[], tag: string): Promise<string[]> {
  const ids = Array.from({ length: 10 }, (_, i) => `${tag}-${i}`);
  const calls = ids.flatMap((id, i) =>
    Array.from({ length: 6 }, (_, k) =>
      postScore(
        apps[k % apps.length]!,
        makeTx({
          transaction_id: id,
          account_id: `${tag}-acct-${i}`,
          merchant_category: '7995',
          timestamp: '2024-06-01T10:00:00Z',
        }),
      ),
    ),
  );
  const answers = await Promise.all(calls);
  for (const a of answers) {
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.decision, 'review');
  }
  return ids;
}

async function assertOneCaseEach(apps: App[], ids: string[]): Promise<void> {
  let cases: Array<{ transaction_id: string; case_id: string }> = [];
  await waitFor(
    async () => {
      cases = await openCases(apps[0]!);
      return ids.every((id) => cases.some((c) => c.transaction_id === id));
    },
    30_000,
    'a case for every transaction',
  );
  const mine = cases.filter((c) => ids.includes(c.transaction_id));
  assert.equal(mine.length, ids.length, JSON.stringify(mine));
  assert.equal(new Set(mine.map((c) => c.case_id)).size, ids.length);
  // The other replica reads the same queue.
  assert.deepEqual(
    (await openCases(apps[1]!)).filter((c) => ids.includes(c.transaction_id)),
    mine,
  );
}

describe('cases once per transaction across two replicas', () => {
  test('PostgreSQL and Redis shared (the idempotency store answers the retries)', async () => {
    const db: ThrowawayDb = await createThrowawayDb('cases_replicas');
    cleanups.push(() => db.drop());
    const redis = connectTestRedis();
    const prefix = uniquePrefix('cases');
    cleanups.push(async () => {
      await dropPrefix(redis, prefix);
      redis.disconnect();
    });
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const apps = await replicas([env, env]);
    const ids = await storm(apps, 'pg-redis');
    await assertOneCaseEach(apps, ids);
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM risk_decisions WHERE transaction_id LIKE $1',
      ['pg-redis-%'],
    );
    assert.equal(row?.n, 10, 'each transaction logged once');
  });

  test('PostgreSQL shared, no Redis (both replicas score every transaction)', async () => {
    const db: ThrowawayDb = await createThrowawayDb('cases_replicas');
    cleanups.push(() => db.drop());
    const apps = await replicas([{ DATABASE_URL: db.url }, { DATABASE_URL: db.url }]);
    const ids = await storm(apps, 'pg-only');
    await assertOneCaseEach(apps, ids);
  });

  test('one embedded SQLite file shared by two replicas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'risk-cases-sqlite-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = { EMBEDDED_STORE: 'sqlite', DATA_DIR: dir };
    const apps = await replicas([env, env]);
    const ids = await storm(apps, 'sqlite');
    await assertOneCaseEach(apps, ids);
  });
});
