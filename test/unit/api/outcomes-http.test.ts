import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * Labels and rule performance through the REST door, on the embedded SQLite store and in
 * memory: transactions scored by the default rules, labelled in bulk, measured by hand.
 */

const TOKEN = 'outcomes-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** An authorised JSON call through inject() on the app the suite built. */
const caller = (app: () => App) => async (method: 'GET' | 'POST', url: string, body?: unknown) => {
  const res = await app().http.inject({
    method,
    url,
    headers: { ...auth, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
};

for (const store of ['sqlite', 'memory'] as const) {
  describe(`outcomes API (${store})`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `risk-outcomes-${store}-`));
    let app: App;
    before(async () => {
      app = await buildTestApp({
        ADMIN_TOKEN: TOKEN,
        EMBEDDED_STORE: store,
        DATA_DIR: dataDir,
        WINDOW_FLUSH_INTERVAL_MS: '20',
      });
    });
    after(async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const call = caller(() => app);

    const day = '2024-05-20';
    const range = `from=${day}T00:00:00Z&to=${day}T23:59:59Z`;

    test('scored transactions are logged once; labels give each rule its precision and recall', async () => {
      // KP is sanctioned (decline); 7995 is a risky category (+20, approve); the rest approve.
      const txs = [
        makeTx({
          transaction_id: 'o-kp-1',
          account_id: 'o-a1',
          location: 'KP',
          timestamp: `${day}T10:00:00Z`,
        }),
        makeTx({
          transaction_id: 'o-kp-2',
          account_id: 'o-a2',
          location: 'KP',
          timestamp: `${day}T10:01:00Z`,
        }),
        makeTx({
          transaction_id: 'o-cat-1',
          account_id: 'o-a3',
          merchant_category: '7995',
          timestamp: `${day}T10:02:00Z`,
        }),
        makeTx({
          transaction_id: 'o-ok-1',
          account_id: 'o-a4',
          location: 'US',
          timestamp: `${day}T10:03:00Z`,
        }),
        makeTx({
          transaction_id: 'o-ok-2',
          account_id: 'o-a5',
          location: 'US',
          timestamp: `${day}T10:04:00Z`,
        }),
      ];
      for (const tx of txs) assert.equal((await postScore(app, tx)).status, 200);
      // A replay is not logged again.
      assert.equal((await postScore(app, txs[0])).headers['idempotent-replay'], 'true');

      await waitFor(
        async () => (await call('GET', `/v1/rules/performance?${range}`)).body.transactions === 5,
        30_000,
        'the five decisions logged',
      );

      const labelled = await call('POST', '/v1/labels', {
        labels: [
          { transaction_id: 'o-kp-1', label: 'fraud', source: 'chargeback' },
          { transaction_id: 'o-kp-2', label: 'legit' },
          { transaction_id: 'o-cat-1', label: 'fraud' },
          { transaction_id: 'o-ok-1', label: 'fraud', reported_at: '2024-06-10T00:00:00Z' },
          { transaction_id: 'o-never', label: 'fraud' },
        ],
      });
      assert.equal(labelled.status, 200, JSON.stringify(labelled.body));
      assert.deepEqual(labelled.body, {
        accepted: 5,
        matched: 4,
        unmatched_count: 1,
        unmatched: ['o-never'],
      });

      const perf = await call('GET', `/v1/rules/performance?${range}`);
      assert.equal(perf.status, 200);
      // By hand: frauds o-kp-1, o-cat-1, o-ok-1 (3); labelled 4 of 5; flagged o-kp-1, o-kp-2.
      assert.equal(perf.body.transactions, 5);
      assert.equal(perf.body.labelled, 4);
      assert.equal(perf.body.frauds, 3);
      assert.deepEqual(perf.body.decision, {
        flagged: 2,
        labelled_flagged: 2,
        fraud_flagged: 1,
        precision: 0.5,
        recall: 1 / 3,
      });
      const rules = perf.body.rules as Array<Record<string, unknown>>;
      const sanctioned = rules.find((r) => r.rule === 'sanctioned-country');
      assert.deepEqual(sanctioned, {
        rule: 'sanctioned-country',
        shadow: false,
        hits: 2,
        labelled_hits: 2,
        fraud_hits: 1,
        precision: 0.5,
        recall: 1 / 3,
      });
      const risky = rules.find((r) => r.rule === 'risky-merchant-category');
      assert.deepEqual(
        [risky?.hits, risky?.labelled_hits, risky?.fraud_hits, risky?.precision],
        [1, 1, 1, 1],
      );

      const history = await call('GET', '/v1/labels/o-ok-1');
      assert.equal(history.status, 200);
      assert.equal(history.body.label, 'fraud');
      assert.equal(
        (history.body.history as Array<{ reported_at: string }>)[0]?.reported_at,
        '2024-06-10T00:00:00.000Z',
      );
      assert.equal((await call('GET', '/v1/labels/o-nobody')).status, 404);
    });

    test('a backtest on recent traffic measures precision and recall with the stored labels', async () => {
      const kpOnly = [
        {
          name: 'kp-only',
          conditions: { all: [{ fact: 'location', operator: 'equal', value: 'KP' }] },
          event: { type: 'risk', params: { score: 100, action: 'decline' } },
        },
      ];
      const recent = await call('POST', '/v1/rules/backtest', { rules: kpOnly, recent: 100 });
      assert.equal(recent.status, 200, JSON.stringify(recent.body));
      const l = recent.body.labelled as {
        labelled: number;
        frauds: number;
        candidate: { flagged: number; fraud_flagged: number; precision: number; recall: number };
      };
      // The four labelled transactions of the test above: kp-1 fraud, kp-2 legit, cat-1 fraud,
      // ok-1 fraud. kp-only flags both KP ones: precision 1/2, recall 1/3.
      assert.deepEqual([l.labelled, l.frauds], [4, 3]);
      assert.deepEqual(l.candidate, {
        flagged: 2,
        fraud_flagged: 1,
        precision: 0.5,
        recall: 1 / 3,
      });

      const given = await call('POST', '/v1/rules/backtest', {
        rules: kpOnly,
        transactions: [
          { ...makeTx({ transaction_id: 'bt-1', location: 'KP' }), label: 'fraud' },
          { ...makeTx({ transaction_id: 'bt-2', location: 'US' }), label: 'fraud' },
          makeTx({ transaction_id: 'bt-3', location: 'US' }),
        ],
      });
      assert.equal(given.status, 200, JSON.stringify(given.body));
      const g = given.body.labelled as { labelled: number; candidate: { recall: number } };
      assert.deepEqual([g.labelled, g.candidate.recall], [2, 0.5]);
      // Changed decisions come in pages: a candidate that declines everything changes both
      // approvals; the second page of one lists the second, and the count says two.
      const declineAll = [
        {
          name: 'decline-all',
          conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 0 }] },
          event: { type: 'risk', params: { score: 100, action: 'decline' } },
        },
      ];
      const paged = await call('POST', '/v1/rules/backtest', {
        rules: declineAll,
        transactions: [
          makeTx({ transaction_id: 'pg-1', location: 'US', timestamp: '2024-05-22T10:00:00Z' }),
          makeTx({ transaction_id: 'pg-2', location: 'US', timestamp: '2024-05-22T10:05:00Z' }),
        ],
        changed_offset: 1,
        changed_limit: 1,
      });
      assert.equal(paged.status, 200, JSON.stringify(paged.body));
      assert.equal(paged.body.changed_count, 2);
      assert.deepEqual(paged.body.changed_page, { offset: 1, limit: 1 });
      assert.deepEqual(
        (paged.body.changed as Array<{ transaction_id: string }>).map((c) => c.transaction_id),
        ['pg-2'],
      );
      const bad = await call('POST', '/v1/rules/backtest', {
        rules: kpOnly,
        transactions: [{ ...makeTx({ transaction_id: 'bt-4' }), label: 'maybe' }],
      });
      assert.equal(bad.status, 400);
    });

    test('any other label value is a 400 naming the item, and nothing of the call is kept', async () => {
      const bad = await call('POST', '/v1/labels', {
        labels: [
          { transaction_id: 'o-x1', label: 'fraud' },
          { transaction_id: 'o-x2', label: 'chargeback' },
        ],
      });
      assert.equal(bad.status, 400);
      const err = bad.body.error as { code: string; details: Array<{ field: string }> };
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.ok(
        err.details.some((d) => d.field === '/labels/1/label'),
        JSON.stringify(err),
      );
      assert.equal((await call('GET', '/v1/labels/o-x1')).status, 404);
    });

    test('the outcomes API takes the admin credential', async () => {
      const res = await app.http.inject({ method: 'GET', url: '/v1/rules/performance' });
      assert.equal(res.statusCode, 401);
      const post = await app.http.inject({
        method: 'POST',
        url: '/v1/labels',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token-123456' },
        payload: '{"labels":[{"transaction_id":"a","label":"fraud"}]}',
      });
      assert.equal(post.statusCode, 403);
    });

    test('a range that ends before it starts is a 400', async () => {
      const res = await call(
        'GET',
        `/v1/rules/performance?from=${day}T10:00:00Z&to=${day}T09:00:00Z`,
      );
      assert.equal(res.status, 400);
    });
  });
}

describe('review cases through the REST door (embedded SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-cases-'));
  let app: App;
  before(async () => {
    app = await buildTestApp({
      ADMIN_TOKEN: TOKEN,
      EMBEDDED_STORE: 'sqlite',
      DATA_DIR: dataDir,
      WINDOW_FLUSH_INTERVAL_MS: '20',
      // The risky category alone (20) is then a review.
      DECISION_REVIEW_THRESHOLD: '20',
    });
  });
  after(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = caller(() => app);
  type CaseBody = { case_id: string; transaction_id: string; status: string; outcome?: string };

  test('a review opens one case, retries included; claim and resolve make the outcome a label', async () => {
    const review = makeTx({
      transaction_id: 'case-1',
      account_id: 'case-a1',
      merchant_category: '7995',
      timestamp: '2024-05-21T10:00:00Z',
    });
    const approve = makeTx({ transaction_id: 'case-2', account_id: 'case-a2', location: 'US' });
    assert.equal((await postScore(app, review)).body.decision, 'review');
    assert.equal((await postScore(app, review)).headers['idempotent-replay'], 'true');
    assert.equal((await postScore(app, approve)).body.decision, 'approve');

    let open: CaseBody[] = [];
    await waitFor(
      async () => {
        open = (await call('GET', '/v1/cases?status=open')).body.cases as CaseBody[];
        return open.length > 0;
      },
      30_000,
      'the case opened',
    );
    assert.deepEqual(
      open.map((c) => c.transaction_id),
      ['case-1'],
    );
    const id = open[0]!.case_id;
    const claimed = await call('POST', `/v1/cases/${id}/claim`);
    assert.equal(claimed.status, 200);
    assert.equal(claimed.body.status, 'claimed');
    assert.equal(claimed.body.assignee, 'admin');

    const bad = await call('POST', `/v1/cases/${id}/resolve`, { outcome: 'maybe' });
    assert.equal(bad.status, 400);
    const resolved = await call('POST', `/v1/cases/${id}/resolve`, {
      outcome: 'fraud',
      comment: 'confirmed by the cardholder',
    });
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.outcome, 'fraud');
    assert.equal((await call('POST', `/v1/cases/${id}/resolve`, { outcome: 'legit' })).status, 409);

    const label = await call('GET', '/v1/labels/case-1');
    assert.equal(label.body.label, 'fraud');
    const perf = await call(
      'GET',
      '/v1/rules/performance?from=2024-05-21T00:00:00Z&to=2024-05-22T00:00:00Z',
    );
    assert.equal(perf.body.frauds, 1);
    assert.equal((await call('GET', `/v1/cases/${id}`)).body.status, 'resolved');
    assert.equal((await call('GET', '/v1/cases/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call('GET', '/v1/cases/not-a-uuid')).status, 400);

    const metrics = await app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /risk_cases\{status="open"\} 0/);
    assert.match(metrics.body, /risk_case_oldest_unresolved_age_seconds 0/);
  });
});
