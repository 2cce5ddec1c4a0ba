/**
 * Roles enforced server-side (DESIGN.md §4.10), on the API with the memory store: what each role
 * may do, authors taken from the credentials, disabled users and rotated tokens refused at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/app/build-app.ts';
import { loadRulesDir } from '../../../src/adapters/file/file-ruleset-source.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import { makeTx } from '../../helpers/tx.ts';
import { TestClock, addUser, call, errorOf, fastHasher } from '../../helpers/users.ts';

const ADMIN = 'test-admin-token-0123456789';
const rule = (name: string, value: number): RiskRule => ({
  name,
  conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value }] },
  event: { type: 'risk', params: { score: 10 } },
});

describe('roles per route', () => {
  let app: App;
  const tokens: Record<string, string> = {};
  const defaults = loadRulesDir('rules').rules;
  before(async () => {
    app = await buildTestApp(
      { ADMIN_TOKEN: ADMIN },
      { hasher: fastHasher, clock: new TestClock() },
    );
    tokens.vera = await addUser(app, ADMIN, 'vera', 'viewer');
    tokens.ana = await addUser(app, ADMIN, 'ana', 'analyst');
    tokens.pia = await addUser(app, ADMIN, 'pia', 'publisher');
    tokens.adam = await addUser(app, ADMIN, 'adam', 'admin');
  });
  after(() => app.close());

  test('a viewer reads rules, versions, audit and windows, and cannot validate or publish', async () => {
    for (const url of ['/v1/rules', '/v1/rules/versions', '/v1/rules/audit', '/v1/windows'])
      assert.equal((await call(app, 'GET', url, { as: tokens.vera })).status, 200, url);
    const validate = await call(app, 'POST', '/v1/rules/validate', {
      as: tokens.vera,
      body: { rules: defaults },
    });
    assert.equal(validate.status, 403);
    assert.match(
      errorOf(validate).message,
      /needs the role analyst or higher; vera has the role viewer/,
    );
    const publish = await call(app, 'PUT', '/v1/rules', {
      as: tokens.vera,
      body: { rules: [rule('v', 1)] },
    });
    assert.equal(publish.status, 403);
    assert.equal(errorOf(publish).code, 'RISK_ERR_FORBIDDEN');
    assert.match(errorOf(publish).message, /needs the role publisher/);
    const rollback = await call(app, 'POST', '/v1/rules/rollback', { as: tokens.vera, body: {} });
    assert.equal(rollback.status, 403);
  });

  test('an analyst validates and backtests, and cannot publish or roll back', async () => {
    const validate = await call(app, 'POST', '/v1/rules/validate', {
      as: tokens.ana,
      body: { rules: defaults },
    });
    assert.equal(validate.status, 200);
    const backtest = await call(app, 'POST', '/v1/rules/backtest', {
      as: tokens.ana,
      body: { rules: defaults, recent: 10 },
    });
    assert.equal(backtest.status, 200, JSON.stringify(backtest.body));
    const publish = await call(app, 'PUT', '/v1/rules', {
      as: tokens.ana,
      body: { rules: [rule('a', 1)] },
    });
    assert.equal(publish.status, 403);
    assert.match(
      errorOf(publish).message,
      /needs the role publisher or higher; ana has the role analyst/,
    );
    assert.equal((await call(app, 'GET', '/v1/rules', { as: tokens.ana })).body.version, 1);
  });

  test('a publisher publishes without author and the audit names them; another name is a 400', async () => {
    const pub = await call(app, 'PUT', '/v1/rules', {
      as: tokens.pia,
      body: { rules: [rule('p', 1)] },
    });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    assert.equal(pub.body.author, 'pia');
    const forged = await call(app, 'PUT', '/v1/rules', {
      as: tokens.pia,
      body: { rules: [rule('q', 2)], author: 'someone-else' },
    });
    assert.equal(forged.status, 400);
    assert.equal(errorOf(forged).details?.[0]?.field, '/author');
    const own = await call(app, 'PUT', '/v1/rules', {
      as: tokens.pia,
      body: { rules: [rule('q', 2)], author: 'pia' },
    });
    assert.equal(own.status, 201);
    const back = await call(app, 'POST', '/v1/rules/rollback', {
      as: tokens.pia,
      body: { comment: 'undo' },
    });
    assert.equal(back.status, 200);
    const audit = await call(app, 'GET', '/v1/rules/audit?limit=3', { as: tokens.vera });
    const entries = audit.body.audit as Array<{ action: string; actor: string }>;
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor]),
      [
        ['rollback', 'pia'],
        ['publish', 'pia'],
        ['publish', 'pia'],
      ],
    );
    // The bootstrap admin may still name an author, and defaults to "admin".
    const boot = await call(app, 'PUT', '/v1/rules', {
      as: ADMIN,
      body: { rules: [rule('b', 3)] },
    });
    assert.equal(boot.body.author, 'admin');
    const named = await call(app, 'PUT', '/v1/rules', {
      as: ADMIN,
      body: { rules: [rule('c', 4)], author: 'ci-pipeline' },
    });
    assert.equal(named.body.author, 'ci-pipeline');
  });

  test('only admins manage users; the list shows no hashes', async () => {
    const denied = await call(app, 'GET', '/v1/users', { as: tokens.pia });
    assert.equal(denied.status, 403);
    assert.match(errorOf(denied).message, /needs the role admin/);
    const list = await call(app, 'GET', '/v1/users', { as: tokens.adam });
    assert.equal(list.status, 200);
    const users = list.body.users as Array<Record<string, unknown>>;
    assert.deepEqual(
      users.map((u) => [u.username, u.role, u.has_token]),
      [
        ['adam', 'admin', true],
        ['ana', 'analyst', true],
        ['pia', 'publisher', true],
        ['vera', 'viewer', true],
      ],
    );
    assert.ok(!JSON.stringify(list.body).includes('scrypt'));
    const made = await call(app, 'POST', '/v1/users', {
      as: tokens.adam,
      body: { username: 'nick', role: 'viewer', password: 'short' },
    });
    assert.equal(made.status, 400);
    assert.equal(errorOf(made).details?.[0]?.field, '/password');
    for (const bad of ['Nick', 'admin', '1abc', 'a b'])
      assert.equal(
        (
          await call(app, 'POST', '/v1/users', {
            as: tokens.adam,
            body: { username: bad, role: 'viewer' },
          })
        ).status,
        400,
        bad,
      );
    const dup = await call(app, 'POST', '/v1/users', {
      as: tokens.adam,
      body: { username: 'ana', role: 'viewer' },
    });
    assert.equal(dup.status, 409);
    const role = await call(app, 'PATCH', '/v1/users/vera', {
      as: tokens.adam,
      body: { role: 'analyst' },
    });
    assert.equal(role.body.role, 'analyst');
    // The new role applies to the very next call.
    const validate = await call(app, 'POST', '/v1/rules/validate', {
      as: tokens.vera,
      body: { rules: defaults },
    });
    assert.equal(validate.status, 200);
    assert.equal(
      (await call(app, 'PATCH', '/v1/users/nobody', { as: tokens.adam, body: { disabled: true } }))
        .status,
      404,
    );
  });

  test('a disabled user is refused at once; enabled again, the token works', async () => {
    const token = await addUser(app, ADMIN, 'dora', 'publisher');
    assert.equal((await call(app, 'GET', '/v1/rules', { as: token })).status, 200);
    const off = await call(app, 'PATCH', '/v1/users/dora', { as: ADMIN, body: { disabled: true } });
    assert.equal(off.body.disabled, true);
    const refused = await call(app, 'GET', '/v1/rules', { as: token });
    assert.equal(refused.status, 403);
    assert.match(errorOf(refused).message, /user dora is disabled/);
    await call(app, 'PATCH', '/v1/users/dora', { as: ADMIN, body: { disabled: false } });
    assert.equal((await call(app, 'GET', '/v1/rules', { as: token })).status, 200);
  });

  test('issuing a new token refuses the old one at once (cached or not)', async () => {
    const first = await addUser(app, ADMIN, 'tom', 'viewer');
    assert.equal((await call(app, 'GET', '/v1/rules', { as: first })).status, 200);
    const second = await call(app, 'POST', '/v1/users/tom/token', { as: ADMIN });
    assert.match(String(second.body.token), /^rsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal((await call(app, 'GET', '/v1/rules', { as: first })).status, 403);
    assert.equal(
      (await call(app, 'GET', '/v1/rules', { as: String(second.body.token) })).status,
      200,
    );
    // A right token id with a wrong secret.
    const forged = `${first.slice(0, 21)}${'A'.repeat(43)}`;
    assert.equal((await call(app, 'GET', '/v1/rules', { as: forged })).status, 403);
  });

  test('an admin sets and removes a password over the API', async () => {
    const signInWith = (password: string) =>
      call(app, 'POST', '/v1/session', { body: { username: 'ana', password } });
    assert.equal((await signInWith('a fresh pass phrase')).status, 403);
    const set = await call(app, 'PATCH', '/v1/users/ana', {
      as: tokens.adam,
      body: { password: 'a fresh pass phrase' },
    });
    assert.equal(set.body.has_password, true);
    assert.equal((await signInWith('a fresh pass phrase')).status, 201);
    const removed = await call(app, 'PATCH', '/v1/users/ana', {
      as: tokens.adam,
      body: { password: null },
    });
    assert.equal(removed.body.has_password, false);
    assert.equal((await signInWith('a fresh pass phrase')).status, 403);
    const empty = await call(app, 'PATCH', '/v1/users/ana', { as: tokens.adam, body: {} });
    assert.equal(empty.status, 400);
  });

  test('cases: a viewer reads the queue but cannot claim; an analyst claims as themselves', async () => {
    const review = makeTx({
      transaction_id: 'roles-case-1',
      account_id: 'roles-case-a1',
      merchant_category: '7995',
      timestamp: '2024-05-21T10:00:00Z',
    });
    const viewer = await addUser(app, ADMIN, 'val', 'viewer');
    // Earlier tests published other rules: one that reviews everything.
    const reviewAll = await call(app, 'PUT', '/v1/rules', {
      as: ADMIN,
      body: {
        rules: [
          {
            name: 'review-all',
            conditions: { all: [{ fact: 'amount', operator: 'greaterThanInclusive', value: 0 }] },
            event: { type: 'risk', params: { score: 10, action: 'review' } },
          },
        ],
      },
    });
    assert.equal(reviewAll.status, 201, JSON.stringify(reviewAll.body));
    assert.equal((await postScore(app, review)).body.decision, 'review');
    let open: Array<{ case_id: string }> = [];
    await waitFor(
      async () => {
        const r = await call(app, 'GET', '/v1/cases?status=open', { as: viewer });
        open = r.body.cases as Array<{ case_id: string }>;
        return open.length > 0;
      },
      30_000,
      'the case opened',
    );
    const id = open[0]?.case_id ?? '';
    const byViewer = await call(app, 'POST', `/v1/cases/${id}/claim`, { as: viewer });
    assert.equal(byViewer.status, 403);
    assert.match(errorOf(byViewer).message, /needs the role analyst/);
    const claimed = await call(app, 'POST', `/v1/cases/${id}/claim`, { as: tokens.ana });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.assignee, 'ana');
    const labels = await call(app, 'POST', '/v1/labels', {
      as: viewer,
      body: { labels: [{ transaction_id: 'roles-case-1', label: 'fraud' }] },
    });
    assert.equal(labels.status, 403);
  });

  test('every route the OpenAPI document marks as secured refuses a call without credentials', async () => {
    const doc = (await call(app, 'GET', '/docs/json')).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const secured = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security !== undefined)
        .map(
          ([method, _op]) => [method.toUpperCase(), path.replaceAll(/\{[^}]+\}/g, '1')] as const,
        ),
    );
    assert.ok(secured.length >= 25, `only ${secured.length} secured operations`);
    for (const [method, url] of secured) {
      const r = await call(app, method as 'GET', url, method === 'GET' ? {} : { body: {} });
      assert.equal(r.status, 401, `${method} ${url}`);
    }
    // And the open ones are the ones meant to be open.
    const open = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.security === undefined)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    assert.deepEqual(open, [
      'DELETE /v1/session',
      'GET /docs/json',
      'GET /healthz',
      'GET /metrics',
      'GET /readyz',
      'POST /v1/score',
      'POST /v1/session',
    ]);
  });

  test('the OpenAPI document describes the users and session routes with their security', async () => {
    const doc = (await call(app, 'GET', '/docs/json')).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.ok(doc.paths['/v1/users']?.post);
    assert.ok(doc.paths['/v1/users/{username}']?.patch);
    assert.ok(doc.paths['/v1/users/{username}/token']?.post);
    assert.ok(doc.paths['/v1/session']?.post);
    assert.deepEqual(doc.paths['/v1/rules']?.put?.security, [{ bearer: [] }, { session: [] }]);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);
  });
});
