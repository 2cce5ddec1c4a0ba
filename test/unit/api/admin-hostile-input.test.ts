import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * Client mistakes on the admin and windows routes are 400s that say what is wrong, never a
 * retriable 500 or 503; an empty ruleset (or an empty all/any) is refused unless asked for.
 */

const TOKEN = 'test-admin-token-hostile-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

let app: App;
before(async () => {
  app = await buildTestApp({ ADMIN_TOKEN: TOKEN });
});
after(() => app.close());

async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const res = await app.http.inject({
    method,
    url,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...auth },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
  const json = res.json<{
    error?: { code: string; message: string; retriable: boolean; details?: unknown[] };
    [k: string]: unknown;
  }>();
  return { status: res.statusCode, body: json };
}

const aRule = {
  name: 'big-amount',
  conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 5000 }] },
  event: { type: 'risk', params: { score: 60 } },
};

describe('admin and windows client mistakes are 400s', () => {
  const cases: Array<[string, 'GET' | 'POST' | 'PUT', string, unknown, RegExp]> = [
    [
      'rollback to a version beyond PostgreSQL integer',
      'POST',
      '/v1/rules/rollback',
      { version: 2147483648, author: 'ana' },
      /\/version/,
    ],
    ['NUL in a rollback author', 'POST', '/v1/rules/rollback', { author: 'a\u0000b' }, /\/author/],
    [
      'NUL in a rollback comment',
      'POST',
      '/v1/rules/rollback',
      { author: 'ana', comment: 'x\u0000' },
      /\/comment/,
    ],
    ['blank author', 'PUT', '/v1/rules', { rules: [aRule], author: '  ' }, /\/author/],
    [
      'NUL in a publish comment',
      'PUT',
      '/v1/rules',
      { rules: [aRule], author: 'ana', comment: '\u0000' },
      /\/comment/,
    ],
    [
      'expected_active_version beyond integer',
      'PUT',
      '/v1/rules',
      { rules: [aRule], author: 'ana', expected_active_version: 2147483648 },
      /\/expected_active_version/,
    ],
    [
      'NUL in a rule name',
      'PUT',
      '/v1/rules',
      { rules: [{ ...aRule, name: 'r\u0000' }], author: 'ana' },
      /name/,
    ],
    [
      'windows from year 0000',
      'GET',
      '/v1/windows?from=0000-01-01T00:00:00Z&to=9999-12-31T00:00:00Z',
      undefined,
      /\/from/,
    ],
    ['windows to a leap second', 'GET', '/v1/windows?to=2016-12-31T23:59:60Z', undefined, /\/to/],
    ['an empty ruleset', 'PUT', '/v1/rules', { rules: [], author: 'ana' }, /allow_empty/],
    [
      'an empty all',
      'PUT',
      '/v1/rules',
      { rules: [{ ...aRule, conditions: { all: [] } }], author: 'ana' },
      /at least one condition/,
    ],
    [
      'an empty any',
      'POST',
      '/v1/rules/validate',
      { rules: [{ ...aRule, conditions: { any: [] } }] },
      /at least one condition/,
    ],
  ];
  for (const [name, method, url, body, mentions] of cases) {
    test(name, async () => {
      const before = await call('GET', '/v1/rules');
      const res = await call(method, url, body);
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, 'RISK_ERR_VALIDATION');
      assert.equal(res.body.error?.retriable, false);
      assert.match(JSON.stringify(res.body.error), mentions);
      const now = await call('GET', '/v1/rules');
      assert.equal(now.body.version, before.body.version, 'the active ruleset is unchanged');
    });
  }

  test('an empty ruleset publishes with allow_empty: true, and then approves', async () => {
    const res = await call('PUT', '/v1/rules', { rules: [], author: 'ana', allow_empty: true });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const scored = await postScore(app, makeTx({ account_id: 'empty-1', location: 'KP' }));
    assert.equal(scored.body.decision, 'approve');
  });

  test('the OpenAPI document describes allow_empty', async () => {
    const doc = await app.http.inject({ method: 'GET', url: '/docs/json' });
    assert.match(doc.body, /allow_empty/);
  });
});
