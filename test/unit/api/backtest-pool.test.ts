// Backtests run on a worker thread: the event loop that answers scoring calls keeps turning
// while a large one runs, and the pool refuses work beyond its bound instead of queueing it
// without end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { buildTestApp } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';

const TOKEN = 'test-admin-token-0123456789';
const candidate: RiskRule[] = [
  {
    name: 'busy-account',
    conditions: { all: [{ fact: 'account.count_1h', operator: 'greaterThan', value: 3 }] },
    event: { type: 'risk', params: { score: 60 } },
  },
];
// 10,000 transactions (the most one request may carry) over 50 accounts.
const transactions = Array.from({ length: 10_000 }, (_, i) =>
  makeTx({ account_id: `acct-${i % 50}`, amount: 5 + (i % 300), at: i * 1_000 }),
);

function backtest(app: App) {
  return app.http.inject({
    method: 'POST',
    url: '/v1/rules/backtest',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ rules: candidate, transactions }),
  });
}

describe('backtests on a worker thread', () => {
  let app: App;
  before(async () => {
    app = await buildTestApp({ ADMIN_TOKEN: TOKEN, BACKTEST_THREADS: '1', BACKTEST_QUEUE: '0' });
  });
  after(() => app.close());

  test('the event loop answers /healthz while a 10,000-transaction backtest runs', async () => {
    let done = false;
    const running = backtest(app).then((res) => {
      done = true;
      return res;
    });
    // The service reports the backtest as running (on the event loop, /metrics could not
    // answer until it had finished)…
    let seenRunning = false;
    while (!done && !seenRunning) {
      const metrics = await app.http.inject({ url: '/metrics' });
      seenRunning = /risk_backtests\{state="running"\} 1/.test(metrics.body);
      await new Promise((r) => setImmediate(r));
    }
    // …and while it still runs, other calls are answered.
    let answeredMeanwhile = 0;
    while (!done) {
      const health = await app.http.inject({ url: '/healthz' });
      assert.equal(health.statusCode, 200);
      if (!done) answeredMeanwhile += 1;
      await new Promise((r) => setImmediate(r));
    }
    const res = await running;
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ transactions: number; rules: Array<{ candidate_hits: number }> }>();
    assert.equal(body.transactions, 10_000);
    // 50 accounts, one transaction each 50 s per account: 72 per hour, so all but the first
    // four of each account's hour are busy. The replay's features are real, not empty.
    assert.ok((body.rules[0]?.candidate_hits ?? 0) > 9_000, JSON.stringify(body.rules));
    assert.ok(seenRunning, 'the backtest was never reported running');
    assert.ok(answeredMeanwhile > 0, 'no /healthz answered while the backtest ran');
  });

  test('beyond its thread and queue the pool refuses with a retriable 503', async () => {
    const [a, b] = await Promise.all([backtest(app), backtest(app)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    assert.deepEqual(statuses, [200, 503]);
    const refused = a.statusCode === 503 ? a : b;
    const err = refused.json<{ error: { code: string; message: string; retriable?: boolean } }>();
    assert.equal(err.error.code, 'RISK_ERR_UNAVAILABLE');
    assert.match(err.error.message, /backtests busy/);
  });
});
