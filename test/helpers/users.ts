import assert from 'node:assert/strict';
import type { App } from '../../src/app/build-app.ts';
import { createScryptHasher } from '../../src/adapters/crypto/scrypt-hasher.ts';
import type { Role } from '../../src/domain/users.ts';

/** scrypt at a test cost (1 MiB, about a millisecond): the format and code paths of the real one. */
export const fastHasher = createScryptHasher({ N: 1024, r: 8, p: 1 });

/** A clock the test moves: sessions and sign-in delays expire without sleeping. */
export class TestClock {
  t: number;
  constructor(start = Date.parse('2026-01-15T10:00:00Z')) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** One request through inject(); `as` is a bearer token, or a cookie header (`cookie=`). */
export async function call(
  app: App,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  opts: { as?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.as !== undefined) {
    if (opts.as.startsWith('cookie=')) headers.cookie = opts.as.slice('cookie='.length);
    else headers.authorization = `Bearer ${opts.as}`;
  }
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.http.inject({
    method,
    url,
    headers,
    ...(opts.body !== undefined && { payload: JSON.stringify(opts.body) }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: res.body === '' ? {} : res.json<Record<string, unknown>>(),
  };
}

export const errorOf = (r: Reply) =>
  r.body.error as { code: string; message: string; details?: Array<{ field?: string }> };

/** Creates a user through the admin API and returns their API token. */
export async function addUser(
  app: App,
  adminToken: string,
  username: string,
  role: Role,
  password?: string,
): Promise<string> {
  const made = await call(app, 'POST', '/v1/users', {
    as: adminToken,
    body: { username, role, ...(password !== undefined && { password }) },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const issued = await call(app, 'POST', `/v1/users/${username}/token`, { as: adminToken });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  return issued.body.token as string;
}

/** Signs in with a password; returns the cookie header value for later calls. */
export async function signIn(app: App, username: string, password: string): Promise<string> {
  const r = await app.http.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ username, password }),
  });
  assert.equal(r.statusCode, 201, r.body);
  const cookie = String(r.headers['set-cookie']);
  const m = /^(risk_session=[^;]+)/.exec(cookie);
  assert.ok(m, cookie);
  return `cookie=${m[1]}`;
}
