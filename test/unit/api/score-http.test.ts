import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { SANCTIONED_KP } from '../../helpers/explain.ts';
import { makeTx } from '../../helpers/tx.ts';

let app: App;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

describe('POST /v1/score', () => {
  test('answers with the response of DESIGN.md §4.4', async () => {
    const tx = makeTx({ account_id: 'http-a1', card_id: 'card-1', amount: 12.5 });
    const res = await postScore(app, tx);
    assert.equal(res.status, 200);
    const b = res.body;
    assert.equal(b.transaction_id, tx.transaction_id);
    assert.equal(b.decision, 'approve');
    assert.equal(b.risk_score, 0);
    assert.equal(b.risk_flag, false);
    assert.deepEqual(b.reasons, []);
    // The shipped model scores every transaction; this ordinary one stays below the rules.
    assert.equal(typeof b.anomaly_score, 'number');
    assert.ok((b.anomaly_score as number) > 0 && (b.anomaly_score as number) < 0.64);
    assert.equal(b.model_version, 'tx-iforest-1.1.0');
    assert.equal(b.degraded, false);
    assert.match(String(b.ruleset_version), /^[1-9][0-9]*$/);
    assert.ok(!Number.isNaN(Date.parse(String(b.evaluated_at))));
    const features = b.features as Record<string, unknown>;
    assert.equal(features['account.count_1m'], 1);
    assert.equal(features['card.amount_24h'], 12.5);
    assert.equal(features['device.count_1m'], undefined, 'no device on the transaction');
  });

  const bad: Array<[string, unknown, string]> = [
    ['missing amount', { ...makeTx(), amount: undefined }, '/amount'],
    ['negative amount', makeTx({ amount: -1 }), '/amount'],
    ['amount above 1e12', makeTx({ amount: 1e12 + 1 }), '/amount'],
    ['amount as a string', { ...makeTx(), amount: '10' }, '/amount'],
    ['unknown field', { ...makeTx(), colour: 'red' }, '/colour'],
    ['timestamp not RFC 3339', makeTx({ timestamp: '15/01/2024 10:00' }), '/timestamp'],
    ['empty transaction_id', makeTx({ transaction_id: '' }), '/transaction_id'],
    ['transaction_id of 129 chars', makeTx({ transaction_id: 'x'.repeat(129) }), '/transaction_id'],
    ['control character in account_id', makeTx({ account_id: 'a\u0001b' }), '/account_id'],
    ['currency of 2 letters', makeTx({ currency: 'US' }), '/currency'],
    ['lowercase country', makeTx({ location: 'us' }), '/location'],
    ['latitude out of range', makeTx({ latitude: 91 }), '/latitude'],
    ['nested attribute', { ...makeTx(), attributes: { a: { b: 1 } } }, '/attributes/a'],
    [
      '33 attributes',
      makeTx({
        attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      }),
      '/attributes',
    ],
  ];
  for (const [name, body, field] of bad) {
    test(`400 naming the field: ${name}`, async () => {
      const res = await postScore(app, body);
      assert.equal(res.status, 400);
      const err = (res.body as unknown as ErrorBody).error;
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.ok(
        err.details?.some((d) => d.field === field),
        `expected a detail for ${field}, got ${JSON.stringify(err.details)}`,
      );
    });
  }

  test('400 for a timestamp far in the future', async () => {
    const res = await postScore(
      app,
      makeTx({ timestamp: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    assert.equal(res.status, 400);
    assert.equal((res.body as unknown as ErrorBody).error.details?.[0]?.field, '/timestamp');
  });

  test('400 for malformed JSON', async () => {
    const res = await postScore(app, '{"transaction_id": ');
    assert.equal(res.status, 400);
    assert.equal((res.body as unknown as ErrorBody).error.code, 'RISK_ERR_BAD_JSON');
  });

  test('413 over 64 KiB', async () => {
    const res = await postScore(app, { ...makeTx(), attributes: { blob: 'x'.repeat(70_000) } });
    assert.equal(res.status, 413);
    assert.equal((res.body as unknown as ErrorBody).error.code, 'RISK_ERR_PAYLOAD_TOO_LARGE');
  });

  test('415 for a body that is not JSON', async () => {
    const res = await postScore(app, 'amount=1', { 'content-type': 'text/plain' });
    assert.equal(res.status, 415);
    assert.equal((res.body as unknown as ErrorBody).error.code, 'RISK_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  test('currency defaults to USD (part of the idempotency payload)', async () => {
    const tx = makeTx({ account_id: 'http-currency' });
    const { currency: _c, ...withoutCurrency } = tx;
    assert.equal((await postScore(app, withoutCurrency)).status, 200);
    const again = await postScore(app, tx);
    assert.equal(again.status, 200, 'explicit USD is the same payload as the default');
    assert.equal(again.headers['idempotent-replay'], 'true');
  });
});

describe('idempotency', () => {
  test('the same id and payload returns the stored response and counts once', async () => {
    const tx = makeTx({ account_id: 'idem-1', amount: 30 });
    const first = await postScore(app, tx);
    const second = await postScore(app, tx);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers['idempotent-replay'], 'true');
    const next = await postScore(app, makeTx({ account_id: 'idem-1', amount: 5, at: 1000 }));
    const f = next.body.features as Record<string, number>;
    assert.equal(f['account.count_1m'], 2);
    assert.equal(f['account.amount_1m'], 35);
  });

  test('the same id with another payload is a 409 and changes nothing', async () => {
    const tx = makeTx({ account_id: 'idem-2', amount: 30 });
    await postScore(app, tx);
    const res = await postScore(app, { ...tx, amount: 31 });
    assert.equal(res.status, 409);
    assert.equal((res.body as unknown as ErrorBody).error.code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
    const next = await postScore(app, makeTx({ account_id: 'idem-2', amount: 1, at: 1000 }));
    assert.equal((next.body.features as Record<string, number>)['account.amount_1m'], 31);
  });

  test('concurrent calls with one id all get one answer and count once', async () => {
    const tx = makeTx({ account_id: 'idem-3' });
    const all = await Promise.all(Array.from({ length: 8 }, () => postScore(app, tx)));
    for (const r of all) assert.deepEqual(r.body, all[0]!.body);
    const next = await postScore(app, makeTx({ account_id: 'idem-3', at: 1 }));
    assert.equal((next.body.features as Record<string, number>)['account.count_1m'], 2);
  });
});

describe('decisions from the default ruleset', () => {
  test('a deny-listed customer is declined whatever the score', async () => {
    const res = await postScore(
      app,
      makeTx({ account_id: 'deny-1', attributes: { deny_listed: true } }),
    );
    assert.equal(res.body.decision, 'decline');
    assert.equal(res.body.risk_flag, true);
    assert.deepEqual(
      (res.body.reasons as Array<{ rule: string }>).map((r) => r.rule),
      ['deny-listed'],
    );
  });

  test('an allow-listed customer is approved despite a risky category', async () => {
    const res = await postScore(
      app,
      makeTx({
        account_id: 'allow-1',
        merchant_category: '7995',
        attributes: { allow_listed: true },
      }),
    );
    assert.equal(res.body.decision, 'approve');
    assert.equal(res.body.risk_score, 20);
  });

  test('a burst of card testing is sent to review, then declined', async () => {
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 6; i++) {
      last = (
        await postScore(
          app,
          makeTx({ account_id: 'burst-1', card_id: 'burst-card', amount: 1, at: i * 1000 }),
        )
      ).body;
    }
    const rules = (last.reasons as Array<{ rule: string }>).map((r) => r.rule);
    assert.ok(rules.includes('account-burst-1m'), rules.join());
    assert.ok(rules.includes('card-testing-small-amounts'), rules.join());
    assert.ok(rules.includes('account-rapid-succession'), rules.join());
    assert.equal(
      last.decision,
      'decline',
      'a review action does not lower a score of 100 below decline',
    );
  });
});

describe('operations endpoints', () => {
  test('/healthz and /readyz answer 200 on embedded defaults', async () => {
    assert.equal((await app.http.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await app.http.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
  });

  test('/metrics counts decisions', async () => {
    await postScore(app, makeTx({ account_id: 'metrics-1' }));
    const res = await app.http.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /risk_decisions_total\{decision="approve",transport="rest"\} [1-9]/);
    assert.match(res.body, /risk_score_duration_seconds_bucket/);
  });

  test('/docs/json is an OpenAPI document with the scoring route', async () => {
    const doc = (await app.http.inject({ url: '/docs/json' })).json<{
      openapi: string;
      paths: object;
    }>();
    assert.match(doc.openapi, /^3\./);
    assert.ok('/v1/score' in doc.paths);
  });

  test('unknown routes answer 404 in the error format', async () => {
    const res = await app.http.inject({ url: '/v1/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<ErrorBody>().error.code, 'RISK_ERR_NOT_FOUND');
  });
});

describe('explain', () => {
  test('?explain=true returns the conditions of each fired rule with the fact values', async () => {
    const res = await app.http.inject({
      method: 'POST',
      url: '/v1/score?explain=true',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(makeTx({ account_id: 'explain-1', location: 'KP' })),
    });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ explanation: Array<{ rule: string; conditions: unknown }> }>();
    assert.equal(body.explanation.length, 1);
    assert.equal(body.explanation[0]?.rule, 'sanctioned-country');
    assert.deepEqual(body.explanation[0]?.conditions, SANCTIONED_KP);
  });

  test('without the flag there is no explanation, and a bad flag is a 400', async () => {
    const plain = await postScore(app, makeTx({ account_id: 'explain-2' }));
    assert.equal('explanation' in plain.body, false);
    const bad = await app.http.inject({
      method: 'POST',
      url: '/v1/score?explain=yes',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(makeTx({ account_id: 'explain-3' })),
    });
    assert.equal(bad.statusCode, 400);
  });
});
