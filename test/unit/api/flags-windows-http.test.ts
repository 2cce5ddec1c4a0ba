import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../../src/app/build-app.ts';
import type { RiskFlag } from '../../../src/domain/flag.ts';
import { flagIdFor } from '../../../src/domain/flag.ts';
import type { WindowRow } from '../../../src/domain/windows.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { flagSchemaValidator } from '../../helpers/flag-schema.ts';
import { makeTx } from '../../helpers/tx.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'risk-emit-'));
const TOKEN = 'windows-test-token-0123456789';
let app: App;
before(async () => {
  app = await buildTestApp({
    ADMIN_TOKEN: TOKEN,
    DATA_DIR: dataDir,
    WINDOW_FLUSH_INTERVAL_MS: '20',
    RISK_WINDOW_SECONDS: '1800',
  });
});
after(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const flagsInFile = (): RiskFlag[] =>
  readFileSync(join(dataDir, 'flags.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RiskFlag);

async function windows(query: string, authorization = `Bearer ${TOKEN}`) {
  const res = await app.http.inject({
    method: 'GET',
    url: `/v1/windows?${query}`,
    headers: { authorization },
  });
  return {
    status: res.statusCode,
    text: res.body,
    body: res.json<{ windows: WindowRow[]; error?: { code: string } }>(),
  };
}

describe('flags and windows through the REST door (no Kafka: the NDJSON flag file)', () => {
  test('a declined transaction has one flag, an approved one none, a replay adds none', async () => {
    const declined = makeTx({ account_id: 'emit-a1', location: 'KP', at: 60_000 });
    // Another account: a US payment one second after a KP one would be a country change.
    const approved = makeTx({ account_id: 'emit-a2', location: 'US', at: 61_000 });
    const first = await postScore(app, declined);
    assert.equal(first.body.decision, 'decline');
    assert.equal((await postScore(app, approved)).body.decision, 'approve');
    const replay = await postScore(app, declined);
    assert.equal(replay.headers['idempotent-replay'], 'true');

    const mine = flagsInFile().filter((f) => f.account_id === 'emit-a1');
    assert.equal(mine.length, 1);
    assert.equal(flagsInFile().filter((f) => f.account_id === 'emit-a2').length, 0);
    const [flag] = mine;
    assert.equal(flag?.flag_id, flagIdFor(declined.transaction_id));
    assert.equal(flag?.transaction_id, declined.transaction_id);
    assert.equal(flag?.scored_at, first.body.evaluated_at);
    assert.equal(flag?.event_time, declined.timestamp);
    assert.equal(flagSchemaValidator()(flag), null);
  });

  test('GET /v1/windows returns the seed example of DESIGN.md §4.8 from scored transactions', async () => {
    // Day 2024-01-16 so that other tests' transactions (2024-01-15) stay out of the window.
    const base = Date.parse('2024-01-16T10:00:00Z');
    const at = (min: number) => new Date(base + min * 60_000).toISOString();
    const seed = [
      // Scores from the default rules: KP 100 (sanctioned), 7995 20 (risky category).
      makeTx({ timestamp: at(1), amount: 1000, location: 'US', account_id: 'seed-1' }),
      makeTx({ timestamp: at(2), amount: 5000, location: 'KP', account_id: 'seed-2' }),
      makeTx({ timestamp: at(3), amount: 200, merchant_category: '7995', account_id: 'seed-3' }),
    ];
    const scores = [];
    for (const tx of seed) scores.push((await postScore(app, tx)).body.risk_score);
    assert.deepEqual(scores, [0, 100, 20]);
    const q = 'from=2024-01-16T10:00:00Z&to=2024-01-16T11:00:00Z';
    await waitFor(
      async () => (await windows(q)).body.windows[0]?.transaction_count === 3,
      30_000,
      'windows written',
    );
    const res = await windows(q);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.windows, [
      {
        window_start: '2024-01-16T10:00:00Z',
        window_end: '2024-01-16T10:30:00Z',
        dimension: 'all',
        dimension_value: '*',
        total_amount: 6200,
        transaction_count: 3,
        high_risk_transactions: 1,
        flagged_transactions: 1,
        max_risk_score: 100,
        avg_risk_score: 40,
        risk_flag: true,
      },
    ]);
    const byLocation = await windows(`${q}&dimension=location`);
    assert.deepEqual(
      byLocation.body.windows.map((w) => [w.dimension_value, w.transaction_count]),
      [
        ['KP', 1],
        ['US', 1],
      ],
    );
  });

  test('GET /v1/windows takes the admin credential: 401 without one, 403 with a wrong one', async () => {
    const none = await app.http.inject({ method: 'GET', url: '/v1/windows' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json<{ error: { code: string } }>().error.code, 'RISK_ERR_UNAUTHORIZED');
    const wrong = await windows('', 'Bearer not-the-token-at-all');
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error?.code, 'RISK_ERR_FORBIDDEN');
  });

  test('total_amount is exact on the wire beyond 2^53 millionths (digits a JS number would round)', async () => {
    const base = Date.parse('2024-01-17T10:00:00Z');
    // Three times 4e9 + 1e-6: 12,000,000,000.000003 needs 17 significant digits.
    for (let i = 0; i < 3; i++) {
      const tx = makeTx({
        timestamp: new Date(base + i * 1000).toISOString(),
        amount: 4_000_000_000.000001,
        account_id: `big-${i}`,
        location: 'US',
      });
      assert.equal((await postScore(app, tx)).status, 200);
    }
    const q = 'from=2024-01-17T10:00:00Z&to=2024-01-17T11:00:00Z';
    await waitFor(
      async () => (await windows(q)).body.windows[0]?.transaction_count === 3,
      30_000,
      'windows written',
    );
    const { text } = await windows(q);
    assert.match(text, /"total_amount":12000000000\.000003,/);
  });

  const bad: Array<[string, string]> = [
    ['from=2024-01-16T11:00:00Z&to=2024-01-16T10:00:00Z', '/from'],
    ['from=yesterday', '/from'],
    ['dimension=country', '/dimension'],
    ['limit=0', '/limit'],
    ['limit=20000', '/limit'],
    ['colour=red', '/colour'],
  ];
  for (const [query, field] of bad) {
    test(`GET /v1/windows?${query} is a 400 naming ${field}`, async () => {
      const res = await windows(query);
      assert.equal(res.status, 400);
      const err = (
        res.body as unknown as { error: { code: string; details: Array<{ field: string }> } }
      ).error;
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.ok(
        err.details.some((d) => d.field === field),
        JSON.stringify(err),
      );
    });
  }

  test('/metrics reports the window buffer', async () => {
    const res = await app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /risk_window_flushed_keys_total \d+/);
    assert.match(res.body, /risk_window_buffered_keys \d+/);
  });
});

test('WINDOWS_AUTH=none leaves GET /v1/windows open, and OpenAPI then lists no security for it', async () => {
  const open = await buildTestApp({ WINDOWS_AUTH: 'none', DATA_DIR: dataDir });
  try {
    const res = await open.http.inject({ method: 'GET', url: '/v1/windows' });
    assert.equal(res.statusCode, 200);
    const doc = (await open.http.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, { get?: { security?: unknown } }>;
    }>();
    assert.equal(doc.paths['/v1/windows']?.get?.security, undefined);
  } finally {
    await open.close();
  }
});
