/**
 * Sign-in (DESIGN.md §4.10): sessions that expire (idle and absolute, on a clock the test moves),
 * the CSRF defence of cookie requests, and wrong passwords refused at a bounded rate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from '../../../src/app/build-app.ts';
import { buildTestApp } from '../../helpers/app.ts';
import { TestClock, addUser, call, errorOf, fastHasher, signIn } from '../../helpers/users.ts';

const ADMIN = 'test-admin-token-0123456789';
const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;
const rules = [
  {
    name: 'r',
    conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 1 }] },
    event: { type: 'risk', params: { score: 5 } },
  },
];

async function passwordAttempt(app: App, username: string, password: string, ip = '127.0.0.1') {
  const res = await app.http.inject({
    method: 'POST',
    url: '/v1/session',
    remoteAddress: ip,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username, password }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: res.json<Record<string, unknown>>(),
  };
}

describe('sessions', () => {
  let app: App;
  const clock = new TestClock();
  before(async () => {
    app = await buildTestApp(
      { ADMIN_TOKEN: ADMIN, SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '2' },
      { hasher: fastHasher, clock },
    );
    await addUser(app, ADMIN, 'pia', 'publisher', PASSWORD);
    await addUser(app, ADMIN, 'vera', 'viewer', PASSWORD);
  });
  after(() => app.close());

  test('sign-in sets an HttpOnly, SameSite=Strict cookie and answers who and until when', async () => {
    const r = await passwordAttempt(app, 'pia', PASSWORD);
    assert.equal(r.status, 201);
    assert.equal(r.body.user, 'pia');
    assert.equal(r.body.role, 'publisher');
    assert.equal(r.body.expires_at, new Date(clock.now() + 30 * MINUTE).toISOString());
    const cookie = String(r.headers['set-cookie']);
    assert.match(
      cookie,
      /^risk_session=[A-Za-z0-9_-]{43}; Max-Age=7200; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const me = await call(app, 'GET', '/v1/session', { as: `cookie=${cookie.split(';')[0]}` });
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.user, me.body.role, me.body.via], ['pia', 'publisher', 'session']);
    const bearer = await call(app, 'GET', '/v1/session', { as: ADMIN });
    assert.deepEqual(
      [bearer.body.user, bearer.body.role, bearer.body.expires_at],
      ['admin', 'admin', null],
    );
  });

  test('a cookie request that changes state needs the CSRF header and a same-host Origin', async () => {
    const as = await signIn(app, 'pia', PASSWORD);
    const bare = await call(app, 'PUT', '/v1/rules', { as, body: { rules } });
    assert.equal(bare.status, 403);
    assert.match(errorOf(bare).message, /x-risk-csrf/);
    const elsewhere = await call(app, 'PUT', '/v1/rules', {
      as,
      body: { rules },
      headers: { 'x-risk-csrf': '1', origin: 'https://evil.example' },
    });
    assert.equal(elsewhere.status, 403);
    const ok = await call(app, 'PUT', '/v1/rules', {
      as,
      body: { rules },
      headers: { 'x-risk-csrf': '1', origin: 'http://localhost:80' },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.author, 'pia');
    // Reads need no header.
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 200);
  });

  test('a session unused for SESSION_IDLE_MINUTES ends; use keeps it alive', async () => {
    const as = await signIn(app, 'vera', PASSWORD);
    clock.advance(29 * MINUTE);
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 200);
    clock.advance(29 * MINUTE);
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 200);
    clock.advance(30 * MINUTE);
    const gone = await call(app, 'GET', '/v1/rules', { as });
    assert.equal(gone.status, 401);
    assert.match(errorOf(gone).message, /expired/);
  });

  test('a session ends SESSION_MAX_HOURS after sign-in however busy', async () => {
    const as = await signIn(app, 'vera', PASSWORD);
    for (let i = 0; i < 6; i++) {
      clock.advance(17 * MINUTE);
      assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 200, `step ${i}`);
    }
    clock.advance(17 * MINUTE); // 119 minutes in total
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 200);
    clock.advance(MINUTE);
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 401);
  });

  test('signing out ends the session; disabling a user ends theirs', async () => {
    const as = await signIn(app, 'vera', PASSWORD);
    const out = await call(app, 'DELETE', '/v1/session', { as, headers: { 'x-risk-csrf': '1' } });
    assert.equal(out.status, 204);
    assert.match(String(out.headers['set-cookie']), /^risk_session=; Max-Age=0/);
    assert.equal((await call(app, 'GET', '/v1/rules', { as })).status, 401);

    const pia = await signIn(app, 'pia', PASSWORD);
    await call(app, 'PATCH', '/v1/users/pia', { as: ADMIN, body: { disabled: true } });
    assert.equal((await call(app, 'GET', '/v1/rules', { as: pia })).status, 401);
    const again = await passwordAttempt(app, 'pia', PASSWORD);
    assert.equal(again.status, 403);
    assert.match(errorOf(again).message, /disabled/);
    await call(app, 'PATCH', '/v1/users/pia', { as: ADMIN, body: { disabled: false } });
  });

  test('ADMIN_TOKEN and user API tokens open sessions too', async () => {
    const boot = await app.http.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: ADMIN }),
    });
    assert.equal(boot.statusCode, 201);
    assert.equal(boot.json<{ role: string }>().role, 'admin');
    const cookie = `cookie=${String(boot.headers['set-cookie']).split(';')[0]}`;
    assert.equal((await call(app, 'GET', '/v1/users', { as: cookie })).status, 200);
    const neither = await call(app, 'POST', '/v1/session', { body: { username: 'pia' } });
    assert.equal(neither.status, 400);
  });
});

describe('wrong passwords are refused at a bounded rate', () => {
  let app: App;
  const clock = new TestClock();
  before(async () => {
    app = await buildTestApp(
      { ADMIN_TOKEN: ADMIN, LOGIN_FAILURES_BEFORE_DELAY: '3', LOGIN_MAX_DELAY_SECONDS: '60' },
      { hasher: fastHasher, clock },
    );
    await addUser(app, ADMIN, 'pia', 'publisher', PASSWORD);
    await addUser(app, ADMIN, 'ola', 'viewer', PASSWORD);
  });
  after(() => app.close());

  test('per user name: after the free failures each one doubles a delay, answered 429 with Retry-After', async () => {
    for (let i = 1; i <= 3; i++)
      assert.equal((await passwordAttempt(app, 'pia', `wrong ${i}`)).status, 403, `failure ${i}`);
    assert.equal((await passwordAttempt(app, 'pia', 'wrong 4')).status, 403); // locks for 1 s
    const locked = await passwordAttempt(app, 'pia', PASSWORD);
    assert.equal(locked.status, 429, 'even the right password waits');
    assert.equal(errorOf(locked).code, 'RISK_ERR_RATE_LIMITED');
    assert.equal(locked.headers['retry-after'], '1');
    clock.advance(1000);
    assert.equal((await passwordAttempt(app, 'pia', 'wrong 5')).status, 403); // 2 s
    assert.equal((await passwordAttempt(app, 'pia', PASSWORD)).headers['retry-after'], '2');
    clock.advance(2000);
    assert.equal((await passwordAttempt(app, 'pia', 'wrong 6')).status, 403); // 4 s
    for (let i = 7; i < 20; i++) {
      clock.advance(60_000);
      assert.equal((await passwordAttempt(app, 'pia', `wrong ${i}`)).status, 403);
    }
    // Capped at LOGIN_MAX_DELAY_SECONDS: at most one guess a minute from here on.
    assert.equal((await passwordAttempt(app, 'pia', PASSWORD)).headers['retry-after'], '60');
    // Another user is not held up by pia's failures (from another address).
    assert.equal((await passwordAttempt(app, 'ola', PASSWORD, '10.0.0.9')).status, 201);
    clock.advance(60_000);
    assert.equal((await passwordAttempt(app, 'pia', PASSWORD)).status, 201);
    // A success starts the name's count again (the address's count decays on its own: a
    // success of one's own account must not reset the slowing down of guesses at others).
    assert.equal((await passwordAttempt(app, 'pia', 'wrong again', '10.0.0.7')).status, 403);
    assert.equal((await passwordAttempt(app, 'pia', PASSWORD, '10.0.0.7')).status, 201);
    assert.equal((await passwordAttempt(app, 'pia', 'wrong', '127.0.0.1')).status, 403);
    assert.equal((await passwordAttempt(app, 'pia', PASSWORD, '127.0.0.1')).status, 429);
  });

  test('per address: guessing many names from one address is slowed down too', async () => {
    const ip = '10.1.2.3';
    // Four times the per-name allowance (3) across different names, unknown ones included.
    for (let i = 0; i < 12; i++)
      assert.equal((await passwordAttempt(app, `guess${i}`, 'x', ip)).status, 403);
    assert.equal((await passwordAttempt(app, 'guess12', 'x', ip)).status, 403);
    const held = await passwordAttempt(app, 'ola', PASSWORD, ip);
    assert.equal(held.status, 429);
    assert.equal(held.headers['retry-after'], '1');
    assert.equal((await passwordAttempt(app, 'ola', PASSWORD, '10.1.2.4')).status, 201);
  });

  test('wrong bearer tokens count against the address as well', async () => {
    const ip = '10.9.9.9';
    const wrong = async (id: number) =>
      (
        await app.http.inject({
          method: 'GET',
          url: '/v1/rules',
          remoteAddress: ip,
          headers: {
            authorization: `Bearer rsk_${id.toString(16).padStart(16, '0')}_${'x'.repeat(43)}`,
          },
        })
      ).statusCode;
    for (let i = 0; i < 13; i++) assert.equal(await wrong(i), 403);
    assert.equal(await wrong(99), 429);
    const metrics = (await app.http.inject({ url: '/metrics' })).body;
    assert.match(metrics, /risk_sign_in_refusals_total\{credential="token",reason="wrong"\} 13/);
    assert.match(metrics, /risk_sign_in_refusals_total\{credential="token",reason="throttled"\} 1/);
    assert.match(
      metrics,
      /risk_sign_in_refusals_total\{credential="password",reason="wrong"\} \d+/,
    );
    // One token id guessed repeatedly is held up by its own count (3 here) from any address.
    const ola = await app.http.inject({
      method: 'POST',
      url: '/v1/users/ola/token',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const token = ola.json<{ token: string }>().token;
    const forged = `${token.slice(0, 21)}${'y'.repeat(43)}`;
    const attempt = async (t: string, from: string) =>
      (
        await app.http.inject({
          method: 'GET',
          url: '/v1/rules',
          remoteAddress: from,
          headers: { authorization: `Bearer ${t}` },
        })
      ).statusCode;
    for (let i = 0; i < 4; i++) assert.equal(await attempt(forged, `10.8.0.${i}`), 403);
    assert.equal(await attempt(token, '10.8.1.1'), 429);
  });
});

test('LOGIN_CLIENT_ADDRESS_HEADER: behind a proxy, the address its header names is counted', async () => {
  const app = await buildTestApp(
    {
      ADMIN_TOKEN: ADMIN,
      LOGIN_FAILURES_BEFORE_DELAY: '1',
      LOGIN_CLIENT_ADDRESS_HEADER: 'X-Forwarded-For',
    },
    { hasher: fastHasher, clock: new TestClock() },
  );
  try {
    const attempt = async (name: string, forwardedFor: string) =>
      (
        await app.http.inject({
          method: 'POST',
          url: '/v1/session',
          remoteAddress: '10.0.0.1', // the proxy, the same for everyone
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          payload: JSON.stringify({ username: name, password: 'wrong password!' }),
        })
      ).statusCode;
    // Four failures per address (4 × 1) from the client the proxy saw as 192.0.2.7, whatever
    // it wrote itself in front.
    for (let i = 0; i < 5; i++) assert.equal(await attempt(`n${i}`, `1.2.3.${i}, 192.0.2.7`), 403);
    assert.equal(await attempt('n9', '192.0.2.7'), 429);
    // Another client behind the same proxy is not held up.
    assert.equal(await attempt('n10', '192.0.2.8'), 403);
  } finally {
    await app.close();
  }
});

test('a session opened with ADMIN_TOKEN ends when the service has another token or none', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-bootstrap-'));
  const env = { EMBEDDED_STORE: 'sqlite', DATA_DIR: dataDir };
  const open = (token?: string) =>
    buildTestApp(
      { ...env, ...(token !== undefined && { ADMIN_TOKEN: token }) },
      { hasher: fastHasher },
    );
  try {
    let app = await open(ADMIN);
    const r = await call(app, 'POST', '/v1/session', { body: { token: ADMIN } });
    assert.equal(r.status, 201);
    const cookie = `cookie=${String(r.headers['set-cookie']).split(';')[0]}`;
    assert.equal((await call(app, 'GET', '/v1/users', { as: cookie })).status, 200);
    await app.close();
    app = await open(ADMIN);
    assert.equal((await call(app, 'GET', '/v1/users', { as: cookie })).status, 200, 'restart');
    await app.close();
    app = await open('another-admin-token-987654');
    assert.equal((await call(app, 'GET', '/v1/users', { as: cookie })).status, 401, 'rotated');
    await app.close();
    app = await open();
    assert.equal((await call(app, 'GET', '/v1/users', { as: cookie })).status, 401, 'unset');
    await app.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
