import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { scoreResponseFromProto, transactionToProto } from '../../../src/api/grpc/messages.js';
import type { App } from '../../../src/app/build-app.js';
import type { Transaction } from '../../../src/domain/transaction.js';
import { buildTestApp, postScore } from '../../helpers/app.js';
import type { GrpcTestServer } from '../../helpers/grpc.js';
import { riskErrorOf, startGrpcApp } from '../../helpers/grpc.js';
import { T0 } from '../../helpers/tx.js';

/*
 * The same transactions, in the same order, scored over REST by one app and over gRPC by a
 * second app built the same way: velocity state evolves identically in both, so every answer
 * must be equal field for field (evaluated_at aside, which is the wall clock).
 */

let rest: App;
let grpc: GrpcTestServer & { app: App };
before(async () => {
  rest = await buildTestApp();
  grpc = await startGrpcApp();
});
after(async () => {
  await grpc.close();
  await rest.close();
});

type Case = [name: string, body: Transaction];

let seq = 0;
function tx(
  account: string,
  atSeconds: number,
  over: Partial<Transaction> = {},
  withCurrency = true,
): Transaction {
  seq += 1;
  const t: Transaction = {
    transaction_id: `parity-${seq}`,
    timestamp: new Date(T0 + atSeconds * 1000).toISOString(),
    amount: 25,
    currency: 'USD',
    account_id: `parity-${account}`,
    ...over,
  };
  if (!withCurrency) delete (t as Partial<Transaction>).currency;
  return t;
}

/** Deterministic pseudo-random numbers (an LCG), so that both doors get the same inputs. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 2 ** 32;
    return s / 2 ** 32;
  };
}

function cases(): Case[] {
  const out: Case[] = [];
  const minimal = tx('min', 0, {}, false);
  const full = tx('full', 1, {
    currency: 'EUR',
    card_id: 'card-full',
    device_id: 'dev-full',
    ip: '203.0.113.7',
    merchant_id: 'm-full',
    merchant_category: '5411',
    channel: 'ecommerce',
    location: 'FR',
    latitude: 48.8566,
    longitude: 2.3522,
    attributes: { tier: 'gold', age_days: 412, first_purchase: false, score: 0.25 },
  });
  out.push(['no optional field, currency defaulted', minimal]);
  out.push(['every optional field', full]);
  for (let i = 0; i < 6; i++) {
    out.push([
      `card-testing burst ${i + 1}`,
      tx('burst', 10 + i, { card_id: 'card-burst', amount: 1, merchant_id: `m-b${i}` }),
    ]);
  }
  out.push(['late event in the burst', tx('burst', -30, { card_id: 'card-burst', amount: 2 })]);
  out.push(['deny-listed', tx('deny', 20, { attributes: { deny_listed: true } })]);
  out.push([
    'allow-listed in a risky category',
    tx('allow', 21, { merchant_category: '7995', attributes: { allow_listed: true } }),
  ]);
  out.push(['sanctioned country', tx('kp', 22, { location: 'KP' })]);
  out.push(['high amount', tx('big', 23, { amount: 20_000, card_id: 'card-big' })]);
  for (const [i, country] of ['US', 'FR', 'DE'].entries()) {
    out.push([`country ${country}`, tx('travel', 100 + i * 600, { location: country })]);
  }
  for (let i = 0; i < 3; i++) {
    out.push([`device ${i}`, tx('devices', 200 + i * 30, { device_id: `dev-many-${i}` })]);
  }
  for (let i = 0; i < 5; i++) {
    out.push([`shared ip ${i}`, tx(`ip-${i}`, 300 + i, { ip: '198.51.100.9' })]);
  }
  for (let i = 0; i < 5; i++) {
    out.push([
      `merchant ${i}`,
      tx('merchants', 400 + i * 60, { merchant_id: `m-many-${i}`, amount: 3 }),
    ]);
  }
  out.push(['small before average', tx('avg', 500, { amount: 10 })]);
  out.push(['small before average again', tx('avg', 560, { amount: 12 })]);
  out.push(['far above average', tx('avg', 620, { amount: 900 })]);
  out.push(['zeros are values', tx('zero', 700, { amount: 0, latitude: 0, longitude: 0 })]);
  out.push([
    'falsy attributes',
    tx('falsy', 701, { attributes: { note: '', count: 0, flag: false } }),
  ]);
  out.push([
    'non-ASCII labels',
    tx('unicode', 702, { merchant_category: 'café', channel: 'магазин', ip: '2001:db8::1' }),
  ]);
  const random = lcg(42);
  for (let i = 0; i < 12; i++) {
    const account = `rand-${Math.floor(random() * 3)}`;
    const extra: Partial<Transaction> = { amount: Math.round(random() * 300_000) / 100 };
    if (random() < 0.5) extra.card_id = `card-r${Math.floor(random() * 2)}`;
    if (random() < 0.3) extra.merchant_category = random() < 0.5 ? '6051' : '5812';
    out.push([`random ${i}`, tx(account, 800 + Math.floor(random() * 120), extra)]);
  }
  out.push(['replay of a scored transaction', full]);
  out.push(['reused id with another payload', { ...minimal, amount: 26 }]);
  out.push(['negative amount', tx('bad', 900, { amount: -1 })]);
  const noAccount = tx('bad', 901);
  delete (noAccount as Partial<Transaction>).account_id;
  out.push(['missing account_id', noAccount]);
  out.push(['lowercase currency', tx('bad', 902, { currency: 'usd' })]);
  out.push([
    '33 attributes',
    tx('bad', 903, {
      attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
    }),
  ]);
  out.push(['attribute too long', tx('bad', 904, { attributes: { s: 'x'.repeat(1025) } })]);
  out.push(['longitude out of range', tx('bad', 905, { longitude: -181 })]);
  out.push([
    'timestamp in the future',
    { ...tx('bad', 0), timestamp: new Date(Date.now() + 3_600_000).toISOString() },
  ]);
  return out;
}

const GRPC_FOR_HTTP: Record<number, number> = {
  400: status.INVALID_ARGUMENT,
  409: status.ALREADY_EXISTS,
};

interface RestError {
  error: { code: string; message: string; details?: unknown[] };
}

test('REST and gRPC give the same answers to the same transactions', async () => {
  const all = cases();
  assert.ok(all.length >= 50, `${all.length} cases`);
  let compared = 0;
  // What the compared answers covered, so that the comparison cannot pass on trivial cases.
  const seen = new Set<string>();
  for (const [name, body] of all) {
    const r = await postScore(rest, body);
    let g: Awaited<ReturnType<typeof grpc.client.score>> | undefined;
    let gErr: ReturnType<typeof riskErrorOf> | undefined;
    try {
      g = await grpc.client.score(transactionToProto(body));
    } catch (err) {
      gErr = riskErrorOf(err);
    }

    if (r.status !== 200) {
      assert.ok(gErr, `${name}: REST answered ${r.status}, gRPC succeeded`);
      const e = (r.body as unknown as RestError).error;
      assert.equal(gErr.status, GRPC_FOR_HTTP[r.status], `${name}: status`);
      assert.equal(gErr.code, e.code, `${name}: error code`);
      assert.equal(gErr.message, e.message, `${name}: message`);
      assert.deepEqual(gErr.details, e.details ?? [], `${name}: details`);
      seen.add(String(r.status));
      compared += 1;
      continue;
    }
    assert.ok(g, `${name}: REST answered 200, gRPC failed with ${JSON.stringify(gErr)}`);
    const fromGrpc = scoreResponseFromProto(g.response) as unknown as Record<string, unknown>;
    const { evaluated_at: restAt, ...restRest } = r.body;
    const { evaluated_at: grpcAt, ...grpcRest } = fromGrpc;
    assert.deepEqual(grpcRest, restRest, `${name}: response`);
    for (const at of [restAt, grpcAt]) {
      assert.ok(typeof at === 'string' && !Number.isNaN(Date.parse(at)), `${name}: ${String(at)}`);
    }
    assert.deepEqual(
      g.headers.get('idempotent-replay'),
      r.headers['idempotent-replay'] === 'true' ? ['true'] : [],
      `${name}: replay header`,
    );
    seen.add(String(r.body.decision));
    if (Object.values(r.body.features as object).includes(null)) seen.add('null feature');
    if (r.headers['idempotent-replay'] === 'true') seen.add('replay');
    compared += 1;
  }
  assert.equal(compared, all.length);
  for (const want of ['approve', 'review', 'decline', 'null feature', 'replay', '400', '409']) {
    assert.ok(seen.has(want), `no case gave ${want}: ${[...seen].join(', ')}`);
  }
});
