// The console's decisions API and the console's static serving, on the app as main.ts builds
// it (in-process; the SSE stream over a real socket on an ephemeral port).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import fastify from 'fastify';
import type { App } from '../../../src/app/build-app.ts';
import { consoleRoutes } from '../../../src/api/http/console-routes.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';

const TOKEN = 'decisions-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let app: App;

const tx = (id: string, over: Record<string, unknown> = {}) => ({
  transaction_id: id,
  timestamp: new Date(Date.now() - 60_000).toISOString(),
  amount: 100,
  account_id: 'acct-1',
  ...over,
});

before(async () => {
  app = await buildTestApp({ ADMIN_TOKEN: TOKEN });
});
after(() => app.close());

test('GET /v1/decisions: newest first, filtered by decision, rule and account; credential required', async () => {
  assert.equal((await postScore(app, tx('d-1'))).status, 200);
  assert.equal(
    (await postScore(app, tx('d-2', { amount: 15_000, account_id: 'acct-2' }))).status,
    200,
  );
  assert.equal((await postScore(app, tx('d-3'))).status, 200);

  const none = await app.http.inject({ url: '/v1/decisions' });
  assert.equal(none.statusCode, 401);

  const all = await app.http.inject({ url: '/v1/decisions', headers: auth });
  assert.equal(all.statusCode, 200);
  const body = all.json<{ decisions: Array<{ transaction_id: string }>; kept: number }>();
  assert.deepEqual(
    body.decisions.map((d) => d.transaction_id),
    ['d-3', 'd-2', 'd-1'],
  );

  const byRule = await app.http.inject({ url: '/v1/decisions?rule=high-amount', headers: auth });
  assert.deepEqual(
    byRule
      .json<{ decisions: Array<{ transaction_id: string }> }>()
      .decisions.map((d) => d.transaction_id),
    ['d-2'],
  );
  const byAccount = await app.http.inject({
    url: '/v1/decisions?account=acct-1&limit=1',
    headers: auth,
  });
  assert.deepEqual(
    byAccount
      .json<{ decisions: Array<{ transaction_id: string }> }>()
      .decisions.map((d) => d.transaction_id),
    ['d-3'],
  );
  const approved = await app.http.inject({ url: '/v1/decisions?decision=decline', headers: auth });
  for (const d of approved.json<{ decisions: Array<{ decision: string }> }>().decisions)
    assert.equal(d.decision, 'decline');
});

test('GET /v1/decisions/{id}: the transaction, its answer and the explanation by its version', async () => {
  assert.equal(
    (await postScore(app, tx('explained', { amount: 20_000, account_id: 'acct-explained' })))
      .status,
    200,
  );
  const res = await app.http.inject({ url: '/v1/decisions/explained', headers: auth });
  assert.equal(res.statusCode, 200);
  const body = res.json<{
    transaction: { amount: number };
    response: { ruleset_version: string; features: Record<string, number> };
    explanation: Array<{ rule: string; conditions: { all: Array<{ factValue: unknown }> } }>;
  }>();
  assert.equal(body.transaction.amount, 20_000);
  assert.equal(body.response.ruleset_version, '1');
  assert.equal(body.response.features['account.count_1m'], 1);
  const high = body.explanation.find((r) => r.rule === 'high-amount');
  assert.equal(high?.conditions.all[0]?.factValue, 20_000);

  const missing = await app.http.inject({ url: '/v1/decisions/never-scored', headers: auth });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json<{ error: { code: string } }>().error.code, 'RISK_ERR_NOT_FOUND');
});

test('GET /v1/decisions/stats: per-minute mix and rule hits of the last hour', async () => {
  assert.equal(
    (await postScore(app, tx('st-1', { amount: 12_000, account_id: 'acct-st' }))).status,
    200,
  );
  assert.equal(
    (await postScore(app, tx('st-2', { amount: 13_000, account_id: 'acct-st' }))).status,
    200,
  );
  const res = await app.http.inject({ url: '/v1/decisions/stats', headers: auth });
  assert.equal(res.statusCode, 200);
  const body = res.json<{
    buckets: Array<{ approve: number; review: number; decline: number }>;
    rules: Array<{ rule: string; hits: number }>;
  }>();
  const scored = body.buckets.reduce((n, b) => n + b.approve + b.review + b.decline, 0);
  assert.ok(scored >= 2, `${scored} counted`);
  assert.ok((body.rules.find((r) => r.rule === 'high-amount')?.hits ?? 0) >= 2);
  const bad = await app.http.inject({
    url: '/v1/decisions/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
    headers: auth,
  });
  assert.equal(bad.statusCode, 400);
});

test('GET /v1/decisions/stream: server-sent events of each newly scored transaction', async () => {
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const abort = new AbortController();
  try {
    const res = await fetch(`${url}/v1/decisions/stream?account=acct-stream`, {
      headers: auth,
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    assert.ok(reader !== undefined);
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
      }
    })().catch(() => undefined);
    await waitFor(() => text.includes('retry:'), 5_000, 'the stream opened');
    await postScore(app, tx('s-other'));
    await postScore(app, tx('s-1', { account_id: 'acct-stream' }));
    await waitFor(() => text.includes('"s-1"'), 5_000, 'the event of s-1');
    assert.match(text, /event: decision\ndata: \{"transaction_id":"s-1"/);
    assert.ok(!text.includes('s-other'), 'filtered by account');
    abort.abort();
    await reading;
  } finally {
    abort.abort();
  }
});

test('console: hashed assets immutable, index.html no-cache with a CSP nonce, SPA routes, headers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<meta name="csp-nonce" content="%NONCE%"><script type="module" src="/console/assets/main-ABC.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'main-ABC.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'main-ABC.js.br'), brotliCompressSync('console.log(1)'));
  const server = fastify();
  await server.register(consoleRoutes, { dir });
  try {
    const page = await server.inject({ url: '/console/rules' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const csp = String(page.headers['content-security-policy']);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce !== undefined && page.body.includes(`content="${nonce}"`), csp);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');

    const asset = await server.inject({ url: '/console/assets/main-ABC.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(asset.headers['x-content-type-options'], 'nosniff');

    const br = await server.inject({
      url: '/console/assets/main-ABC.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(br.rawPayload).toString(), 'console.log(1)');

    assert.equal((await server.inject({ url: '/console/assets/gone-XYZ.js' })).statusCode, 404);
    const bare = await server.inject({ url: '/console' });
    assert.equal(bare.statusCode, 308);
    assert.equal(bare.headers.location, '/console/');
  } finally {
    await server.close();
  }
  const unbuilt = fastify();
  await unbuilt.register(consoleRoutes, { dir: join(dir, 'missing') });
  const res = await unbuilt.inject({ url: '/console/' });
  assert.equal(res.statusCode, 503);
  assert.match(res.body, /npm run build:console/);
  await unbuilt.close();
});
