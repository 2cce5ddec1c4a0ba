import { test } from 'node:test';
import assert from 'node:assert/strict';
import fastify from 'fastify';
import type { ReadinessCheck } from '../../../src/api/readiness.ts';
import { healthRoutes } from '../../../src/api/http/health-routes.ts';

async function readyz(checks: ReadinessCheck[], draining = false) {
  const app = fastify();
  await app.register(healthRoutes, { checks, draining: () => draining, timeoutMs: 200 });
  try {
    const res = await app.inject({ url: '/readyz' });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  } finally {
    await app.close();
  }
}

const up = (name: string, critical?: boolean): ReadinessCheck => ({
  name,
  check: () => Promise.resolve(),
  ...(critical !== undefined && { critical }),
});
const down = (name: string, critical?: boolean): ReadinessCheck => ({
  name,
  check: () => Promise.reject(new Error(`${name} refused`)),
  ...(critical !== undefined && { critical }),
});

test('a failing critical dependency makes the service unready, naming it', async () => {
  const r = await readyz([down('redis'), up('postgres', false)]);
  assert.equal(r.status, 503);
  assert.deepEqual(r.body.failing, [
    { dependency: 'redis', error: 'redis refused', critical: true },
  ]);
});

test('a failing non-critical dependency is reported, and the service stays ready', async () => {
  const r = await readyz([up('redis'), down('postgres', false)]);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'degraded');
  assert.deepEqual(r.body.checks, { redis: 'ok', postgres: 'failing' });
  assert.deepEqual(r.body.failing, [
    { dependency: 'postgres', error: 'postgres refused', critical: false },
  ]);
});

test('a check that hangs counts as failing after the timeout; draining is unready', async () => {
  const hang: ReadinessCheck = { name: 'kafka', check: () => new Promise(() => undefined) };
  const r = await readyz([hang]);
  assert.equal(r.status, 503);
  assert.match(JSON.stringify(r.body.failing), /no answer within 200 ms/);
  assert.equal((await readyz([up('redis')], true)).status, 503);
  assert.equal((await readyz([up('redis')])).body.status, 'ready');
});
