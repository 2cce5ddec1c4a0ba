import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { scoreResponseFromProto, transactionToProto } from '../../../src/api/grpc/messages.ts';
import { EXPLAIN_METADATA_KEY } from '../../../src/api/grpc/score-options.ts';
import type { App } from '../../../src/app/build-app.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import { buildTestApp, postScore } from '../../helpers/app.ts';
import type { GrpcTestServer } from '../../helpers/grpc.ts';
import { riskErrorOf, startGrpcApp } from '../../helpers/grpc.ts';
import { T0 } from '../../helpers/tx.ts';

/*
 * The same transactions, in the same order, scored over REST by one app and over gRPC by a
 * second app built the same way: velocity state evolves identically in both, so every answer
 * must be equal field for field (evaluated_at aside, which is the wall clock), explanations
 * included when asked for (`?explain=true`, `risk-explain: true`).
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

type RestAnswer = Awaited<ReturnType<typeof postScore>>;

/** POST /v1/score, with `?explain=true` when asked. */
async function postRest(app: App, body: Transaction, explain: boolean): Promise<RestAnswer> {
  if (!explain) return postScore(app, body);
  const res = await app.http.inject({
    method: 'POST',
    url: '/v1/score?explain=true',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: res.json<Record<string, unknown>>(),
  };
}

/**
 * Scores one transaction over REST on `restApp` and over gRPC on `grpcDoor`, asserts that both
 * answered the same (the same error, or the same response and replay header), and returns the
 * REST answer so that a test can say what its cases covered.
 */
async function assertSameAnswer(
  restApp: App,
  grpcDoor: GrpcTestServer,
  name: string,
  body: Transaction,
  explain = false,
): Promise<RestAnswer> {
  const r = await postRest(restApp, body, explain);
  let g: Awaited<ReturnType<typeof grpcDoor.client.score>> | undefined;
  let gErr: ReturnType<typeof riskErrorOf> | undefined;
  try {
    g = await grpcDoor.client.score(
      transactionToProto(body),
      explain ? { [EXPLAIN_METADATA_KEY]: 'true' } : {},
    );
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
    return r;
  }
  assert.ok(g, `${name}: REST answered 200, gRPC failed with ${JSON.stringify(gErr)}`);
  const replayed = g.headers.get('idempotent-replay').includes('true');
  // proto3 cannot tell an empty explanation from none: the caller knows it asked.
  const fromGrpc = scoreResponseFromProto(g.response, {
    explained: explain && !replayed,
  }) as unknown as Record<string, unknown>;
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
  return r;
}

test('REST and gRPC give the same answers to the same transactions', async () => {
  const all = cases();
  assert.ok(all.length >= 50, `${all.length} cases`);
  let compared = 0;
  // What the compared answers covered, so that the comparison cannot pass on trivial cases.
  const seen = new Set<string>();
  for (const [name, body] of all) {
    const r = await assertSameAnswer(rest, grpc, name, body);
    compared += 1;
    if (r.status !== 200) {
      seen.add(String(r.status));
      continue;
    }
    seen.add(String(r.body.decision));
    if (Object.values(r.body.features as object).includes(null)) seen.add('null feature');
    if (r.headers['idempotent-replay'] === 'true') seen.add('replay');
  }
  assert.equal(compared, all.length);
  for (const want of ['approve', 'review', 'decline', 'null feature', 'replay', '400', '409']) {
    assert.ok(seen.has(want), `no case gave ${want}: ${[...seen].join(', ')}`);
  }
});

/** The explanation of a REST answer, absent when REST wrote none. */
const explanationOf = (r: RestAnswer): unknown[] | undefined =>
  r.body.explanation as unknown[] | undefined;

test('with explain, REST and gRPC give the same explanations', async () => {
  const kp = tx('x-kp', 1000, { location: 'KP' });
  const explained: Case[] = [
    ['sanctioned country', kp],
    ['high amount', tx('x-big', 1001, { amount: 20_000 })],
    ['deny-listed', tx('x-deny', 1002, { attributes: { deny_listed: true } })],
    [
      'allow-listed in a risky category',
      tx('x-allow', 1003, { merchant_category: '7995', attributes: { allow_listed: true } }),
    ],
    ['no rule fires', tx('x-none', 1004)],
  ];
  for (let i = 0; i < 6; i++) {
    explained.push([
      `card-testing burst ${i + 1}`,
      tx('x-burst', 1010 + i, { card_id: 'x-card', amount: 1, merchant_id: `x-m${i}` }),
    ]);
  }
  explained.push(['replay: explanations are not stored', kp]);
  const seen = new Set<string>();
  for (const [name, body] of explained) {
    const r = await assertSameAnswer(rest, grpc, name, body, true);
    assert.equal(r.status, 200, name);
    const explanation = explanationOf(r);
    if (explanation === undefined) seen.add('replay without explanation');
    else if (explanation.length === 0) seen.add('no rule fired');
    else if (explanation.length > 1) seen.add('several rules');
  }
  for (const want of ['replay without explanation', 'no rule fired', 'several rules']) {
    assert.ok(seen.has(want), `no case gave ${want}: ${[...seen].join(', ')}`);
  }
});

/**
 * Rules whose explanations hold every node shape and JSON values of every kind: `not`, `any`,
 * a missing fact (no `factValue`), a fact reference (or, when that fact is missing, no `value`),
 * a path, an object fact value, a nested compare value and null.
 */
const SHAPES_RULESET = [
  {
    name: 'every-node-shape',
    conditions: {
      all: [
        { not: { fact: 'card_id', operator: 'equal', value: 'blocked-card' } },
        {
          any: [
            { fact: 'device_id', operator: 'equal', value: 'dev-x' },
            { fact: 'amount', operator: 'greaterThan', value: { fact: 'attributes.limit' } },
          ],
        },
        { fact: 'attributes', path: '$.tier', operator: 'in', value: ['gold', 'platinum'] },
        {
          fact: 'attributes',
          operator: 'notEqual',
          value: { tier: 'bronze', tags: [1.5, [-2, null], { deep: true }] },
        },
      ],
    },
    event: { type: 'risk', params: { score: 10, description: 'every node shape' } },
  },
  {
    name: 'first-of-account',
    conditions: {
      any: [{ fact: 'account.seconds_since_last', operator: 'equal', value: null }],
    },
    event: { type: 'risk', params: { score: 5 } },
  },
  {
    name: 'missing-reference',
    conditions: {
      any: [
        { fact: 'amount', operator: 'greaterThan', value: { fact: 'attributes.limit' } },
        { fact: 'amount', operator: 'greaterThanInclusive', value: 0 },
      ],
    },
    event: { type: 'risk', params: { score: 1, action: 'review' } },
  },
];

/** The node shapes found in explanation trees: 'not', 'path', 'no factValue', ... */
function shapesOf(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) shapesOf(n, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as Record<string, unknown>;
  if ('conditions' in n) return shapesOf(n.conditions, out);
  if ('not' in n) out.add('not');
  if ('any' in n) out.add('any');
  if ('fact' in n) {
    if (!('factValue' in n)) out.add('no factValue');
    if (!('value' in n)) out.add('no value');
    if ('path' in n) out.add('path');
    if (n.factValue === null) out.add('null factValue');
    if (typeof n.factValue === 'object' && n.factValue !== null) out.add('object factValue');
  }
  for (const key of ['all', 'any', 'not']) shapesOf(n[key], out);
}

test('with explain, every node shape and JSON value comes through gRPC as REST writes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'risk-parity-rules-'));
  writeFileSync(join(dir, 'shapes.json'), JSON.stringify(SHAPES_RULESET));
  const env = { RULES_DIR: dir };
  const shapesRest = await buildTestApp(env);
  const shapesGrpc = await startGrpcApp(env);
  try {
    const shaped: Case[] = [
      ['all shapes', tx('shapes', 0, { amount: 50, attributes: { tier: 'gold', limit: 10 } })],
      ['missing reference', tx('shapes', 10, { amount: 50 })],
      ['platinum, no limit', tx('shapes-2', 20, { amount: 5, attributes: { tier: 'platinum' } })],
    ];
    const seen = new Set<string>();
    for (const [name, body] of shaped) {
      const r = await assertSameAnswer(shapesRest, shapesGrpc, name, body, true);
      assert.equal(r.status, 200, name);
      shapesOf(explanationOf(r), seen);
    }
    const want = ['not', 'any', 'path', 'no factValue', 'no value', 'null factValue'];
    for (const shape of [...want, 'object factValue']) {
      assert.ok(seen.has(shape), `no explanation had ${shape}: ${[...seen].join(', ')}`);
    }
  } finally {
    await shapesGrpc.close();
    await shapesRest.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shadow rules: the same shadow_reasons over both doors, outside reasons and the score', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'risk-parity-shadow-'));
  writeFileSync(
    join(dir, 'shadow.json'),
    JSON.stringify([
      {
        name: 'acting',
        conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 10 }] },
        event: { type: 'risk', params: { score: 20 } },
      },
      {
        name: 'watched',
        conditions: { all: [{ fact: 'amount', operator: 'greaterThan', value: 10 }] },
        event: {
          type: 'risk',
          params: { score: 90, action: 'decline', description: 'watch', shadow: true },
        },
      },
    ]),
  );
  const env = { RULES_DIR: dir };
  const shadowRest = await buildTestApp(env);
  const shadowGrpc = await startGrpcApp(env);
  try {
    for (const explain of [false, true]) {
      const r = await assertSameAnswer(
        shadowRest,
        shadowGrpc,
        `shadow ${explain}`,
        tx('shadow', explain ? 1 : 0, { amount: 50 }),
        explain,
      );
      assert.equal(r.status, 200);
      const body = r.body;
      assert.equal(body.decision, 'approve');
      assert.equal(body.risk_score, 20);
      assert.deepEqual(body.shadow_reasons, [
        { rule: 'watched', score: 90, action: 'decline', description: 'watch', shadow: true },
      ]);
    }
  } finally {
    await shadowGrpc.close();
    await shadowRest.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
