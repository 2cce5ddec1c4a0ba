/**
 * Users on the real PostgreSQL (DESIGN.md §4.10): the UserStore conformance suite, and two
 * replicas on one database: a session opened on one is accepted by the other, a user disabled
 * through one (or by the CLI) is refused at once by both, roles hold, wrong passwords slow down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgUserStore } from '../../src/adapters/postgres/pg-user-store.ts';
import type { App } from '../../src/app/build-app.ts';
import { userStoreConformance } from '../conformance/user-store.ts';
import { buildTestApp } from '../helpers/app.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { TestClock, addUser, call, errorOf, fastHasher, signIn } from '../helpers/users.ts';

const ADMIN = 'test-admin-token-0123456789';
const PASSWORD = 'correct horse battery';
const made: ThrowawayDb[] = [];
after(async () => {
  for (const d of made) await d.drop();
});

userStoreConformance('postgres server', async () => {
  const tdb = await createThrowawayDb('users');
  made.push(tdb);
  const db = createPgDatabase({ connectionString: tdb.url });
  await migrate(db);
  return { store: createPgUserStore(db), close: () => db.close() };
});

describe('two replicas on one PostgreSQL', () => {
  let tdb: ThrowawayDb;
  let a: App;
  let b: App;
  const clock = new TestClock();
  const rules = [
    {
      name: 'pg-rule',
      conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 5 }] },
      event: { type: 'risk', params: { score: 5 } },
    },
  ];
  before(async () => {
    tdb = await createThrowawayDb('users_api');
    made.push(tdb);
    const env = { DATABASE_URL: tdb.url, ADMIN_TOKEN: ADMIN, LOGIN_FAILURES_BEFORE_DELAY: '2' };
    a = await buildTestApp(env, { hasher: fastHasher, clock });
    b = await buildTestApp(env, { hasher: fastHasher, clock });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  test('a viewer cannot publish; a publisher can, and the audit names them', async () => {
    const viewer = await addUser(a, ADMIN, 'vic', 'viewer');
    const publisher = await addUser(a, ADMIN, 'pat', 'publisher', PASSWORD);
    const denied = await call(b, 'PUT', '/v1/rules', { as: viewer, body: { rules } });
    assert.equal(denied.status, 403);
    assert.match(errorOf(denied).message, /needs the role publisher/);
    const pub = await call(b, 'PUT', '/v1/rules', { as: publisher, body: { rules } });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const audit = await call(a, 'GET', '/v1/rules/audit?limit=1', { as: viewer });
    assert.deepEqual(
      (audit.body.audit as Array<{ action: string; actor: string }>).map((e) => [
        e.action,
        e.actor,
      ]),
      [['publish', 'pat']],
    );
  });

  test('a session opened on one replica is accepted by the other; disabling ends it on both', async () => {
    const cookie = await signIn(a, 'pat', PASSWORD);
    assert.equal((await call(b, 'GET', '/v1/session', { as: cookie })).body.user, 'pat');
    const token = (await call(a, 'POST', '/v1/users/pat/token', { as: ADMIN })).body
      .token as string;
    assert.equal((await call(b, 'GET', '/v1/rules', { as: token })).status, 200);
    assert.equal((await call(a, 'GET', '/v1/rules', { as: token })).status, 200);
    const off = await call(a, 'PATCH', '/v1/users/pat', { as: ADMIN, body: { disabled: true } });
    assert.equal(off.status, 200);
    // b verified the token a moment ago (cached): it is refused all the same.
    assert.equal((await call(b, 'GET', '/v1/rules', { as: token })).status, 403);
    assert.equal((await call(b, 'GET', '/v1/rules', { as: cookie })).status, 401);
    assert.equal((await call(a, 'GET', '/v1/rules', { as: cookie })).status, 401);
  });

  test('a wrong password is refused at a bounded rate', async () => {
    await addUser(a, ADMIN, 'wes', 'viewer', PASSWORD);
    const attempt = async (password: string) =>
      call(a, 'POST', '/v1/session', { body: { username: 'wes', password } });
    assert.equal((await attempt('nope nope nope')).status, 403);
    assert.equal((await attempt('nope nope nope')).status, 403);
    assert.equal((await attempt('nope nope nope')).status, 403);
    const held = await attempt(PASSWORD);
    assert.equal(held.status, 429);
    assert.equal(held.headers['retry-after'], '1');
    clock.advance(1000);
    assert.equal((await attempt(PASSWORD)).status, 201);
  });

  test('sessions expire on the idle limit (30 minutes by default)', async () => {
    const cookie = await signIn(b, 'wes', PASSWORD);
    clock.advance(29 * 60_000);
    assert.equal((await call(a, 'GET', '/v1/rules', { as: cookie })).status, 200);
    clock.advance(30 * 60_000 + 1);
    assert.equal((await call(a, 'GET', '/v1/rules', { as: cookie })).status, 401);
  });

  test('the CLI on DATABASE_URL: add, list, disable round trip seen by the service', () => {
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', 'src/cli/users.ts', ...args],
        { env: { PATH: process.env.PATH ?? '', DATABASE_URL: tdb.url }, encoding: 'utf8' },
      );
    const add = run('add', 'cli-user', '--role', 'analyst');
    assert.equal(add.status, 0, add.stderr);
    const token = /^(rsk_\S+)$/m.exec(run('token', 'cli-user').stdout)?.[1];
    assert.ok(token);
    assert.match(run('list').stdout, /^cli-user +analyst +active/m);
    return (async () => {
      assert.equal((await call(a, 'GET', '/v1/rules', { as: token })).status, 200);
      assert.equal(run('disable', 'cli-user').status, 0);
      assert.match(run('list').stdout, /^cli-user +analyst +disabled/m);
      assert.equal((await call(a, 'GET', '/v1/rules', { as: token })).status, 403);
    })();
  });
});

test('four eyes on PostgreSQL: proposed on one replica, refused to its author, approved by another publisher on the other', async () => {
  const tdb = await createThrowawayDb('four_eyes');
  made.push(tdb);
  const env = { DATABASE_URL: tdb.url, ADMIN_TOKEN: ADMIN, RULES_APPROVAL: 'required' };
  const a = await buildTestApp(env, { hasher: fastHasher });
  const b = await buildTestApp(env, { hasher: fastHasher });
  try {
    const ana = await addUser(a, ADMIN, 'ana', 'analyst');
    const pia = await addUser(a, ADMIN, 'pia', 'publisher');
    const rules = [
      {
        name: 'four-eyes',
        conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 9 }] },
        event: { type: 'risk', params: { score: 9 } },
      },
    ];
    const proposed = await call(a, 'PUT', '/v1/rules', { as: ana, body: { rules } });
    assert.equal(proposed.status, 202, JSON.stringify(proposed.body));
    const id = String((proposed.body.proposal as { id: number }).id);
    const own = await call(b, 'POST', `/v1/rules/proposals/${id}/approve`, { as: ana });
    assert.equal(own.status, 403);
    const approved = await call(b, 'POST', `/v1/rules/proposals/${id}/approve`, {
      as: pia,
      body: { comment: 'ok' },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal((approved.body.active as { version: number }).version, 2);
    const audit = await call(a, 'GET', '/v1/rules/audit?limit=2', { as: ana });
    assert.deepEqual(
      (audit.body.audit as Array<Record<string, unknown>>).map((e) => [e.action, e.actor]),
      [
        ['approve', 'pia'],
        ['propose', 'ana'],
      ],
    );
  } finally {
    await a.close();
    await b.close();
  }
});
