import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import { loadRulesDir } from '../../../src/adapters/file/file-ruleset-source.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const amountOver = (name: string, value: number, params: Record<string, unknown>): RiskRule => ({
  name,
  conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value }] },
  event: { type: 'risk', params },
});

async function call(
  app: App,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
  headers: Record<string, string> = auth,
) {
  const res = await app.http.inject({
    method,
    url,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

const errorOf = (b: Record<string, unknown>) =>
  b.error as { code: string; message: string; details?: Array<Record<string, string>> };

describe('rules administration API (embedded, memory store)', () => {
  let app: App;
  const defaults = loadRulesDir('rules').rules;
  before(async () => {
    app = await buildTestApp({ ADMIN_TOKEN: TOKEN });
  });
  after(() => app.close());

  test('401 without a token, 403 with a wrong one; scoring needs none', async () => {
    const none = await call(app, 'GET', '/v1/rules', undefined, {});
    assert.equal(none.status, 401);
    assert.equal(errorOf(none.body).code, 'RISK_ERR_UNAUTHORIZED');
    const wrong = await call(app, 'GET', '/v1/rules', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 403);
    assert.equal(errorOf(wrong.body).code, 'RISK_ERR_FORBIDDEN');
    const scored = await postScore(app, makeTx());
    assert.equal(scored.status, 200);
  });

  test('the store was seeded from rules/ as version 1', async () => {
    const r = await call(app, 'GET', '/v1/rules');
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    assert.equal(r.body.source, 'seed');
    assert.deepEqual(r.body.rules, defaults);
    assert.match(String(r.body.content_hash), /^sha256:[0-9a-f]{64}$/);
  });

  test('validate: a valid set is summarised, an invalid one gets every problem', async () => {
    const ok = await call(app, 'POST', '/v1/rules/validate', { rules: defaults });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.valid, true);
    assert.equal(ok.body.rule_count, defaults.length);
    const bad = await call(app, 'POST', '/v1/rules/validate', {
      rules: [
        amountOver('a', 1, { score: 5 }),
        { name: 'b', conditions: { all: [{ fact: 'amout', operator: 'equal', value: 1 }] } },
      ],
    });
    assert.equal(bad.status, 400);
    const err = errorOf(bad.body);
    assert.equal(err.code, 'RISK_ERR_VALIDATION');
    assert.deepEqual(
      err.details?.map((d) => [d.field, d.rule]),
      [
        ['/rules/1/conditions/all/0/fact', 'b'],
        ['/rules/1/event/type', 'b'],
      ],
    );
  });

  test('an invalid publish changes nothing; a valid one is used by the next call', async () => {
    const before = await call(app, 'GET', '/v1/rules');
    const bad = await call(app, 'PUT', '/v1/rules', {
      rules: [amountOver('x', 1, { score: 5, action: 'block' })],
      author: 'alice',
    });
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad.body).details?.[0]?.field, '/rules/0/event/params/action');
    assert.equal((await call(app, 'GET', '/v1/rules')).body.version, before.body.version);

    const blankAuthor = await call(app, 'PUT', '/v1/rules', { rules: defaults, author: '' });
    assert.equal(blankAuthor.status, 400);

    const pub = await call(app, 'PUT', '/v1/rules', {
      rules: [amountOver('over-100', 100, { score: 60, description: 'v2 rule' })],
      author: 'alice',
      comment: 'one rule',
    });
    assert.equal(pub.status, 201);
    assert.equal(pub.body.changed, true);
    const v2 = pub.body.version as number;
    assert.equal(v2, (before.body.version as number) + 1);
    const scored = await postScore(app, makeTx({ amount: 500 }));
    assert.equal(scored.body.ruleset_version, String(v2));
    assert.deepEqual(scored.body.reasons, [
      { rule: 'over-100', score: 60, description: 'v2 rule' },
    ]);
    assert.equal(scored.body.decision, 'review');

    const again = await call(app, 'PUT', '/v1/rules', {
      rules: [amountOver('over-100', 100, { score: 60, description: 'v2 rule' })],
      author: 'bob',
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.changed, false);
    assert.equal(again.body.version, v2);

    const stale = await call(app, 'PUT', '/v1/rules', {
      rules: defaults,
      author: 'bob',
      expected_active_version: v2 - 1,
    });
    assert.equal(stale.status, 409);
    assert.equal(errorOf(stale.body).code, 'RISK_ERR_CONFLICT');
  });

  test('versions, one version, the audit trail; 404 for an unknown version', async () => {
    const list = await call(app, 'GET', '/v1/rules/versions?limit=5');
    const versions = list.body.versions as Array<Record<string, unknown>>;
    assert.ok(versions.length >= 2);
    assert.equal(versions[0]?.active, true);
    assert.equal('rules' in (versions[0] ?? {}), false);
    const one = await call(app, 'GET', '/v1/rules/versions/1');
    assert.deepEqual(one.body.rules, defaults);
    const missing = await call(app, 'GET', '/v1/rules/versions/999');
    assert.equal(missing.status, 404);
    const badParam = await call(app, 'GET', '/v1/rules/versions/abc');
    assert.equal(badParam.status, 400);
    const audit = await call(app, 'GET', '/v1/rules/audit');
    const entries = audit.body.audit as Array<Record<string, unknown>>;
    assert.deepEqual(entries.at(-1)?.action, 'seed');
  });

  test('rollback returns to a version, and scoring follows at once', async () => {
    const r = await call(app, 'POST', '/v1/rules/rollback', {
      version: 1,
      author: 'carol',
      comment: 'back to defaults',
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    assert.equal(typeof r.body.from_version, 'number');
    const scored = await postScore(app, makeTx({ amount: 500 }));
    assert.equal(scored.body.ruleset_version, '1');
    const same = await call(app, 'POST', '/v1/rules/rollback', { version: 1, author: 'carol' });
    assert.equal(same.status, 409);
  });

  test('a shadow rule is reported and counted but never changes the decision', async () => {
    const pub = await call(app, 'PUT', '/v1/rules', {
      rules: [
        amountOver('small-score', 10, { score: 5 }),
        amountOver('would-decline', 10, { score: 100, action: 'decline', shadow: true }),
      ],
      author: 'dave',
    });
    assert.equal(pub.status, 201);
    const scored = await postScore(app, makeTx({ amount: 50 }));
    assert.equal(scored.body.decision, 'approve');
    assert.equal(scored.body.risk_score, 5);
    assert.deepEqual(scored.body.reasons, [{ rule: 'small-score', score: 5 }]);
    assert.deepEqual(scored.body.shadow_reasons, [
      { rule: 'would-decline', score: 100, action: 'decline', shadow: true },
    ]);
    const metrics = await app.http.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /risk_rule_fired_total\{rule="would-decline",shadow="true"\} 1/);
    assert.match(metrics.body, /risk_ruleset_info\{version="\d+",rules="2"\} 1/);
  });

  test('backtest on given transactions and on the recent ones', async () => {
    const candidate = [amountOver('over-1000', 1000, { score: 80 })];
    const txs = [10, 2000, 3000].map((amount, i) => makeTx({ amount, at: i * 1000 }));
    const given = await call(app, 'POST', '/v1/rules/backtest', {
      rules: candidate,
      transactions: txs,
    });
    assert.equal(given.status, 200, JSON.stringify(given.body));
    assert.equal(given.body.source, 'request');
    assert.equal(given.body.transactions, 3);
    const rules = given.body.rules as Array<Record<string, unknown>>;
    assert.deepEqual(rules[0], {
      rule: 'over-1000',
      shadow: false,
      active_hits: null,
      candidate_hits: 2,
    });
    assert.equal(given.body.changed_count, 2);
    assert.deepEqual((given.body.decisions as Record<string, unknown>).candidate, {
      approve: 1,
      review: 0,
      decline: 2,
    });

    const recent = await call(app, 'POST', '/v1/rules/backtest', { rules: candidate, recent: 2 });
    assert.equal(recent.status, 200);
    assert.equal(recent.body.source, 'recent');
    assert.equal(recent.body.transactions, 2);

    const invalid = await call(app, 'POST', '/v1/rules/backtest', {
      rules: [{ name: 'x' }],
      transactions: txs,
    });
    assert.equal(invalid.status, 400);
    const badTx = await call(app, 'POST', '/v1/rules/backtest', {
      rules: candidate,
      transactions: [{ amount: 1 }],
    });
    assert.equal(badTx.status, 400);
  });
});

test('without ADMIN_TOKEN only users sign in: a bearer that is no user token is a 403', async () => {
  const app = await buildTestApp();
  try {
    const r = await call(app, 'GET', '/v1/rules');
    assert.equal(r.status, 403);
    assert.match(errorOf(r.body).message, /ADMIN_TOKEN is not set/);
    const none = await call(app, 'GET', '/v1/rules', undefined, {});
    assert.equal(none.status, 401);
    assert.match(errorOf(none.body).message, /POST \/v1\/session/);
  } finally {
    await app.close();
  }
});
