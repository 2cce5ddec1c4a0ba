import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import type { MethodDefinition, ServerDuplexStream, ServiceDefinition } from '@grpc/grpc-js';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import type { IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type {
  ProtoScoreResponse,
  ProtoScoreStreamResponse,
  ProtoTransaction,
} from '../../../src/api/grpc/messages.ts';
import {
  createTransactionReader,
  scoreResponseFromProto,
  transactionToProto,
} from '../../../src/api/grpc/messages.ts';
import { RISK_SERVICE_NAME, loadServicePackage } from '../../../src/api/grpc/proto.ts';
import { mapEntryName } from '../../../src/api/grpc/reflection.ts';
import { EXPLAIN_METADATA_KEY } from '../../../src/api/grpc/score-options.ts';
import {
  MAX_IN_FLIGHT_PER_STREAM,
  createScoreStreams,
} from '../../../src/api/grpc/score-stream.ts';
import type { JsonValue } from '../../../src/api/grpc/value.ts';
import { fromProtoValue, toProtoValue } from '../../../src/api/grpc/value.ts';
import type { ExplainedCondition } from '../../../src/domain/rules/compile.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { SANCTIONED_KP } from '../../helpers/explain.ts';
import { waitFor } from '../../helpers/fakes.ts';
import type { ScoreOptions, Scorer } from '../../../src/pipeline/score.ts';
import type { ScoreResponse } from '../../../src/pipeline/score-response.ts';
import type { GrpcTestServer, RequestMetadata } from '../../helpers/grpc.ts';
import { riskErrorOf, startGrpcApp, startGrpcServer } from '../../helpers/grpc.ts';
import { makeTx } from '../../helpers/tx.ts';

let srv: GrpcTestServer;
before(async () => {
  srv = await startGrpcApp();
});
after(() => srv.close());

const grpcTx = (over: Parameters<typeof makeTx>[0] = {}): ProtoTransaction =>
  transactionToProto(makeTx(over));

async function rejection(p: Promise<unknown>): Promise<ReturnType<typeof riskErrorOf>> {
  try {
    await p;
  } catch (err) {
    return riskErrorOf(err);
  }
  assert.fail('the call succeeded');
}

describe('RiskScoring/Score', () => {
  test('answers with the response of DESIGN.md §4.4', async () => {
    const tx = grpcTx({ account_id: 'grpc-a1', card_id: 'card-1', amount: 12.5 });
    const { response, headers } = await srv.client.score(tx);
    const r = scoreResponseFromProto(response);
    assert.equal(r.transaction_id, tx.transaction_id);
    assert.equal(r.decision, 'approve');
    assert.equal(r.risk_score, 0);
    assert.equal(r.risk_flag, false);
    assert.deepEqual(r.reasons, []);
    // The shipped model scores every transaction; this ordinary one stays below the rules.
    assert.equal(typeof r.anomaly_score, 'number');
    assert.ok((r.anomaly_score as number) > 0 && (r.anomaly_score as number) < 0.64);
    assert.equal(r.model_version, 'tx-iforest-1.1.0');
    assert.equal(r.degraded, false);
    assert.match(r.ruleset_version, /^[1-9][0-9]*$/);
    assert.ok(!Number.isNaN(Date.parse(r.evaluated_at)));
    assert.equal(r.features['account.count_1m'], 1);
    assert.equal(r.features['card.amount_24h'], 12.5);
    assert.equal(r.features['account.seconds_since_last'], null, 'a null feature stays null');
    assert.ok('account.seconds_since_last' in r.features);
    assert.equal(r.features['device.count_1m'], undefined, 'no device on the transaction');
    assert.deepEqual(headers.get('idempotent-replay'), []);
  });

  test('a zero amount and zero coordinates are values, not "unset"', async () => {
    const tx = grpcTx({ account_id: 'grpc-zero', amount: 0, latitude: 0, longitude: 0 });
    const r = scoreResponseFromProto((await srv.client.score(tx)).response);
    assert.equal(r.features['account.amount_1m'], 0);
    assert.equal(r.features['account.count_1m'], 1);
  });

  const bad: Array<[string, ProtoTransaction, string]> = [
    ['negative amount', grpcTx({ amount: -1 }), '/amount'],
    ['amount above 1e12', grpcTx({ amount: 1e12 + 1 }), '/amount'],
    ['NaN amount (a double can carry it, JSON cannot)', grpcTx({ amount: NaN }), '/amount'],
    ['infinite latitude', grpcTx({ latitude: Infinity }), '/latitude'],
    ['missing amount', { ...grpcTx(), amount: undefined }, '/amount'],
    ['missing account_id', { ...grpcTx(), account_id: undefined }, '/account_id'],
    ['missing transaction_id', { ...grpcTx(), transaction_id: undefined }, '/transaction_id'],
    ['attribute value of no known type', { ...grpcTx(), attributes: { x: {} } }, '/attributes/x'],
    ['empty card_id (set, not unset)', grpcTx({ card_id: '' }), '/card_id'],
    ['timestamp not RFC 3339', grpcTx({ timestamp: '15/01/2024 10:00' }), '/timestamp'],
    ['control character in account_id', grpcTx({ account_id: 'a\u0001b' }), '/account_id'],
    ['currency of 2 letters', grpcTx({ currency: 'US' }), '/currency'],
    ['lowercase country', grpcTx({ location: 'us' }), '/location'],
    [
      '33 attributes',
      grpcTx({
        attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])),
      }),
      '/attributes',
    ],
  ];
  for (const [name, tx, field] of bad) {
    test(`INVALID_ARGUMENT naming the field: ${name}`, async () => {
      const err = await rejection(srv.client.score(tx));
      assert.equal(err.status, status.INVALID_ARGUMENT);
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.ok(
        err.details.some((d) => d.field === field),
        `expected a detail for ${field}, got ${JSON.stringify(err.details)}`,
      );
      assert.match(err.message, /^\//, 'the message starts with the first field');
    });
  }

  test('INVALID_ARGUMENT for a timestamp far in the future', async () => {
    const ts = new Date(Date.now() + 3_600_000).toISOString();
    const err = await rejection(srv.client.score(grpcTx({ timestamp: ts })));
    assert.equal(err.status, status.INVALID_ARGUMENT);
    assert.equal(err.details[0]?.field, '/timestamp');
  });

  test('RESOURCE_EXHAUSTED over 64 KiB, as REST answers 413', async () => {
    const err = await rejection(
      srv.client.score(grpcTx({ attributes: { blob: 'x'.repeat(70_000) } })),
    );
    assert.equal(err.status, status.RESOURCE_EXHAUSTED);
  });

  test('currency defaults to USD (part of the idempotency payload)', async () => {
    const tx = grpcTx({ account_id: 'grpc-currency' });
    await srv.client.score({ ...tx, currency: undefined });
    const again = await srv.client.score(tx);
    assert.deepEqual(again.headers.get('idempotent-replay'), ['true']);
  });
});

describe('idempotency over gRPC', () => {
  test('the same id and payload returns the stored response and counts once', async () => {
    const tx = grpcTx({ account_id: 'grpc-idem-1', amount: 30 });
    const first = await srv.client.score(tx);
    const second = await srv.client.score(tx);
    assert.deepEqual(second.response, first.response);
    assert.deepEqual(second.headers.get('idempotent-replay'), ['true']);
    const next = await srv.client.score(grpcTx({ account_id: 'grpc-idem-1', amount: 5, at: 1000 }));
    const f = scoreResponseFromProto(next.response).features;
    assert.equal(f['account.count_1m'], 2);
    assert.equal(f['account.amount_1m'], 35);
  });

  test('the same id with another payload is ALREADY_EXISTS and changes nothing', async () => {
    const tx = grpcTx({ account_id: 'grpc-idem-2', amount: 30 });
    await srv.client.score(tx);
    const err = await rejection(srv.client.score({ ...tx, amount: 31 }));
    assert.equal(err.status, status.ALREADY_EXISTS);
    assert.equal(err.code, 'RISK_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(err.details[0]?.field, '/transaction_id');
    const next = await srv.client.score(grpcTx({ account_id: 'grpc-idem-2', amount: 1, at: 1000 }));
    assert.equal(scoreResponseFromProto(next.response).features['account.amount_1m'], 31);
  });
});

describe('RiskScoring/ScoreStream', () => {
  test('200 transactions with one invalid: 199 answers and 1 error item, every id once', async () => {
    const txs = Array.from({ length: 200 }, (_, i) =>
      grpcTx({ account_id: `grpc-stream-${i % 7}`, amount: i + 1, at: i * 100 }),
    );
    const badIndex = 123;
    txs[badIndex] = { ...txs[badIndex], amount: -5 };
    const { items, status: st } = await srv.client.scoreStream(txs);
    assert.equal(st.code, status.OK);
    assert.equal(items.length, 200);
    const errors = items.filter((i) => i.result === 'error');
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(e.transaction_id, txs[badIndex].transaction_id);
    assert.equal(e.sequence ?? 0, badIndex);
    assert.equal(e.error?.code, 'RISK_ERR_VALIDATION');
    assert.equal(e.error?.retriable ?? false, false);
    assert.ok(e.error?.details?.some((d) => d.field === '/amount'));
    const answered = items.filter((i) => i.result === 'response');
    assert.equal(answered.length, 199);
    for (const a of answered) {
      assert.equal(a.response?.transaction_id, a.transaction_id);
      assert.equal(a.transaction_id, txs[a.sequence ?? 0]?.transaction_id);
    }
    assert.deepEqual(
      new Set(items.map((i) => i.transaction_id)),
      new Set(txs.map((t) => t.transaction_id)),
    );
    assert.deepEqual(
      items.map((i) => i.sequence ?? 0).sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  test('a repeated transaction in a stream is answered as a replay', async () => {
    const tx = grpcTx({ account_id: 'grpc-stream-replay' });
    const { items } = await srv.client.scoreStream([tx, tx]);
    assert.equal(items.length, 2);
    assert.deepEqual(items[0]!.response, items[1]!.response);
    assert.deepEqual(items.map((i) => i.replayed ?? false).sort(), [false, true]);
  });

  test('an empty stream ends with OK', async () => {
    const { items, status: st } = await srv.client.scoreStream([]);
    assert.equal(st.code, status.OK);
    assert.equal(items.length, 0);
  });
});

function fakeResponse(tx: Transaction): ScoreResponse {
  return {
    transaction_id: tx.transaction_id,
    decision: 'approve',
    risk_score: 0,
    risk_flag: false,
    reasons: [],
    anomaly_score: null,
    features: {},
    ruleset_version: 'test',
    model_version: null,
    degraded: false,
    evaluated_at: new Date().toISOString(),
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ScoreStream flow control and shutdown (scorer stubbed)', () => {
  test(`at most ${MAX_IN_FLIGHT_PER_STREAM} transactions of a stream are scored at once`, async () => {
    let now = 0;
    let peak = 0;
    const score: Scorer = async (tx) => {
      now += 1;
      peak = Math.max(peak, now);
      await delay(2);
      now -= 1;
      if (tx.amount === 13) throw new Error('boom');
      return { response: fakeResponse(tx), replayed: false };
    };
    const s = await startGrpcServer({
      score,
      logger: silentLogger,
      checks: [],
      draining: () => false,
    });
    try {
      const txs = Array.from({ length: 500 }, (_, i) => grpcTx({ amount: i }));
      const { items, status: st } = await s.client.scoreStream(txs);
      assert.equal(st.code, status.OK);
      assert.equal(items.length, 500);
      assert.ok(peak <= MAX_IN_FLIGHT_PER_STREAM, `peak ${peak}`);
      assert.ok(peak > 1, `scored concurrently (peak ${peak})`);
      const failed = items.filter((i) => i.result === 'error');
      assert.deepEqual(
        failed.map((i) => [i.sequence, i.error?.code, i.error?.message, i.error?.retriable]),
        [[13, 'RISK_ERR_INTERNAL', 'internal error', true]],
        'an unexpected failure is answered without its details, and the stream goes on',
      );
    } finally {
      await s.close();
    }
  });

  test('a client that reads nothing holds the stream back instead of filling memory', async () => {
    // grpc-js's own client keeps reading into its buffers even when paused, so this client
    // speaks HTTP/2 itself and stops reading for real: only flow control can stop the server.
    // The server is score-stream.ts behind a plain grpc-js Server, so that the test can see the
    // server side of the call: held back means paused, a write waiting for 'drain', and no
    // transaction being scored; in that state nothing more can be read until the client reads.
    let scored = 0;
    let scoring = 0;
    const score: Scorer = async (tx) => {
      scored += 1;
      scoring += 1;
      await Promise.resolve();
      scoring -= 1;
      return { response: fakeResponse(tx), replayed: false };
    };
    const pkg = loadServicePackage();
    const streams = createScoreStreams({
      score,
      read: createTransactionReader(),
      logger: silentLogger,
      draining: () => false,
    });
    const calls: Array<ServerDuplexStream<ProtoTransaction, ProtoScoreStreamResponse>> = [];
    const server = new Server();
    server.addService(pkg[RISK_SERVICE_NAME] as ServiceDefinition, {
      ScoreStream: (call: ServerDuplexStream<ProtoTransaction, ProtoScoreStreamResponse>) => {
        calls.push(call);
        streams.handle(call);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const method = (pkg[RISK_SERVICE_NAME] as Record<string, unknown>)
      .ScoreStream as MethodDefinition<ProtoTransaction, ProtoScoreStreamResponse>;
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': method.path,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      req.on('error', () => undefined);
      req.pause();
      const total = 3000;
      let sent = 0;
      const sending = (async () => {
        for (let i = 0; i < total; i++) {
          const body = method.requestSerialize(grpcTx({ amount: i }));
          const frame = Buffer.alloc(5 + body.length);
          frame.writeUInt32BE(body.length, 1);
          body.copy(frame, 5);
          if (!req.write(frame)) await new Promise((r) => req.once('drain', r));
          sent += 1;
        }
        req.end();
      })();
      // Held back, a state that cannot change until the client reads: the client's receive
      // window on the stream is used up (so no write of the server can complete, and no 'drain'
      // can come), and the server side of the call is paused with a write waiting for 'drain'
      // and nothing being scored (so no further transaction is read).
      const held = () => {
        const call = calls[0];
        return (
          req.state.localWindowSize === 0 &&
          call !== undefined &&
          call.isPaused() &&
          call.writableNeedDrain &&
          scoring === 0
        );
      };
      await waitFor(held, 60_000, 'the server holds the stream back (window used up, paused)');
      const heldAt = scored;
      assert.ok(sent < total, `the sender is held back too (${sent} of ${total} sent)`);
      assert.ok(heldAt < total / 2, `scored ${heldAt} of ${total} with nobody reading`);
      // The state is a fixed point: after many turns of the event loop nothing has moved.
      for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r));
      assert.ok(held(), 'still held while the client reads nothing');
      assert.equal(scored, heldAt, 'nothing more is scored while the client reads nothing');

      let answers = 0;
      let pending = Buffer.alloc(0);
      req.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
          pending = pending.subarray(5 + pending.readUInt32BE(1));
          answers += 1;
        }
      });
      const trailers = new Promise<Record<string, unknown>>((r) => req.once('trailers', r));
      req.resume();
      assert.equal((await trailers)['grpc-status'], '0');
      await sending;
      assert.equal(answers, total, 'every transaction is answered once the client reads');
      assert.equal(scored, total);
    } finally {
      // destroy, not close: a stream left paused would keep the session (and the file) alive.
      session.destroy();
      server.forceShutdown();
    }
  });

  test('a draining server refuses new streams and says NOT_SERVING', async () => {
    const score: Scorer = (tx) => Promise.resolve({ response: fakeResponse(tx), replayed: false });
    const s = await startGrpcServer({
      score,
      logger: silentLogger,
      checks: [],
      draining: () => true,
    });
    try {
      const { status: st } = await s.client.scoreStream([grpcTx()]);
      assert.equal(st.code, status.UNAVAILABLE);
      assert.deepEqual(st.metadata.get('risk-error-code'), ['RISK_ERR_UNAVAILABLE']);
      assert.equal(await s.client.health(''), 'NOT_SERVING');
      assert.equal(await s.client.health('risk.v1.RiskScoring'), 'NOT_SERVING');
      // Unary calls still in the pipe are served: readiness, not refusal, moves traffic away.
      assert.ok((await s.client.score(grpcTx())).response.transaction_id);
    } finally {
      await s.close();
    }
  });

  test('close() answers what a stream has started, then ends it with UNAVAILABLE', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const score: Scorer = async (tx) => {
      started += 1;
      await gate;
      return { response: fakeResponse(tx), replayed: false };
    };
    const s = await startGrpcServer({
      score,
      logger: silentLogger,
      checks: [],
      draining: () => false,
    });
    const call = s.client.openStream();
    const items: ProtoScoreStreamResponse[] = [];
    call.on('data', (i: ProtoScoreStreamResponse) => items.push(i));
    const ended = new Promise<number>((r) =>
      call.on('status', (st: { code: number }) => r(st.code)),
    );
    call.on('error', () => undefined);
    try {
      for (let i = 0; i < 3; i++) call.write(grpcTx());
      await waitFor(() => started === 3, 30_000, 'the three transactions started');
      // close() stops the streams at once (synchronously); the answers come after it began.
      // The grace is long: what is asserted is that they are answered, not how fast.
      const closing = s.server.close(60_000);
      release();
      assert.equal(await ended, status.UNAVAILABLE);
      assert.equal(items.length, 3, 'every started transaction was answered');
      await closing;
    } finally {
      release();
      await s.close();
    }
  });
});

const EXPLAIN = { [EXPLAIN_METADATA_KEY]: 'true' };

/** The explanation REST would give: the fired rule as in `reasons`, with its conditions. */
function explainedAs(r: ScoreResponse, conditions: ExplainedCondition) {
  assert.equal(r.reasons.length, 1, JSON.stringify(r.reasons));
  return [{ ...r.reasons[0]!, conditions }];
}

describe('explain over gRPC (risk-explain metadata)', () => {
  test('risk-explain: true returns the conditions of each fired rule, as REST does', async () => {
    const tx = grpcTx({ account_id: 'grpc-explain-1', location: 'KP' });
    const { response } = await srv.client.score(tx, EXPLAIN);
    const r = scoreResponseFromProto(response, { explained: true });
    assert.deepEqual(
      r.reasons.map((f) => f.rule),
      ['sanctioned-country'],
    );
    assert.deepEqual(r.explanation, explainedAs(r, SANCTIONED_KP));
  });

  test('no explanation without risk-explain or with risk-explain: false', async () => {
    const asked: RequestMetadata[] = [{}, { [EXPLAIN_METADATA_KEY]: 'false' }];
    for (const [i, metadata] of asked.entries()) {
      const tx = grpcTx({ account_id: `grpc-explain-none-${i}`, location: 'KP' });
      const { response } = await srv.client.score(tx, metadata);
      assert.equal(response.reasons?.length, 1, 'a rule fired');
      assert.deepEqual(response.explanation ?? [], []);
      assert.equal('explanation' in scoreResponseFromProto(response), false);
    }
  });

  test('explain is not part of the payload, and a replay has no explanation, as in REST', async () => {
    const tx = grpcTx({ account_id: 'grpc-explain-replay', location: 'KP' });
    const first = await srv.client.score(tx);
    const again = await srv.client.score(tx, EXPLAIN);
    assert.deepEqual(again.headers.get('idempotent-replay'), ['true']);
    assert.deepEqual(again.response, first.response, 'explanations are not stored');
  });

  const badValues: Array<[string, string | string[]]> = [
    ['yes', 'yes'],
    ['TRUE (the REST flag is case-sensitive too)', 'TRUE'],
    ['1', '1'],
    ['empty', ''],
    ['given twice', ['true', 'true']],
  ];
  for (const [name, value] of badValues) {
    test(`INVALID_ARGUMENT naming risk-explain, nothing scored: ${name}`, async () => {
      const tx = grpcTx({ account_id: `grpc-explain-bad-${name}` });
      const err = await rejection(srv.client.score(tx, { [EXPLAIN_METADATA_KEY]: value }));
      assert.equal(err.status, status.INVALID_ARGUMENT);
      assert.equal(err.code, 'RISK_ERR_VALIDATION');
      assert.match(err.message, /^risk-explain: must be/);
      assert.deepEqual(
        err.details.map((d) => d.field),
        ['risk-explain'],
      );
      const after = await srv.client.score(tx);
      assert.deepEqual(
        after.headers.get('idempotent-replay'),
        [],
        'the refused call left no trace',
      );
    });
  }

  test('ScoreStream: risk-explain in the initial metadata explains every transaction', async () => {
    const kp = grpcTx({ account_id: 'grpc-explain-stream-1', location: 'KP' });
    const plain = grpcTx({ account_id: 'grpc-explain-stream-2' });
    const { items, status: st } = await srv.client.scoreStream([kp, plain, kp], EXPLAIN);
    assert.equal(st.code, status.OK);
    const bySequence = new Map(items.map((i) => [i.sequence ?? 0, i]));
    const explanation = (i: ProtoScoreStreamResponse | undefined) =>
      scoreResponseFromProto(i?.response as ProtoScoreResponse, { explained: !i?.replayed })
        .explanation;
    const kpAnswers = [bySequence.get(0), bySequence.get(2)];
    const fresh = kpAnswers.find((i) => i?.replayed !== true);
    const replayed = kpAnswers.find((i) => i?.replayed === true);
    assert.ok(fresh && replayed, 'one KP answer is fresh, the other a replay');
    const r = scoreResponseFromProto(fresh.response as ProtoScoreResponse);
    assert.deepEqual(explanation(fresh), explainedAs(r, SANCTIONED_KP));
    assert.deepEqual(explanation(bySequence.get(1)), [], 'no rule fired');
    assert.equal(explanation(replayed), undefined, 'a replay has no explanation');
  });

  test('ScoreStream: no risk-explain, no explanation', async () => {
    const tx = grpcTx({ account_id: 'grpc-explain-stream-3', location: 'KP' });
    const { items } = await srv.client.scoreStream([tx]);
    assert.equal(items[0]?.response?.reasons?.length, 1, 'a rule fired');
    assert.deepEqual(items[0]?.response?.explanation ?? [], []);
  });

  test('ScoreStream: a bad risk-explain ends the stream with INVALID_ARGUMENT', async () => {
    const tx = grpcTx({ account_id: 'grpc-explain-stream-bad' });
    const { items, status: st } = await srv.client.scoreStream([tx], {
      [EXPLAIN_METADATA_KEY]: 'yes',
    });
    assert.equal(st.code, status.INVALID_ARGUMENT);
    assert.match(st.details, /^risk-explain: /);
    assert.deepEqual(st.metadata.get('risk-error-code'), ['RISK_ERR_VALIDATION']);
    assert.equal(items.length, 0);
  });

  test('the scorer gets explain per call, and the deepest valid condition tree fits', async () => {
    // validateRuleset admits 16 levels of groups above a leaf. Each `all`/`any` level costs
    // five levels of protobuf nesting (Value, Struct, map entry, Value, ListValue), out of the
    // 100 that protobufjs (like protoc) decodes: the deepest tree must still come through.
    let tree: ExplainedCondition = {
      fact: 'attributes',
      operator: 'notEqual',
      value: { tags: [1.5, [-2, null], { deep: true }] },
      factValue: undefined,
      result: true,
    };
    for (let i = 0; i < 16; i++) tree = { all: [tree], result: true };
    const seen: Array<ScoreOptions | undefined> = [];
    const score: Scorer = (tx, options) => {
      // The trace carrier is the call's metadata, checked by the observability test.
      const { traceCarrier, ...rest } = options ?? {};
      assert.equal(typeof traceCarrier, 'object');
      seen.push(rest);
      const response = fakeResponse(tx);
      if (options?.explain) response.explanation = [{ rule: 'deep', score: 1, conditions: tree }];
      return Promise.resolve({ response, replayed: false });
    };
    const s = await startGrpcServer({
      score,
      logger: silentLogger,
      checks: [],
      draining: () => false,
    });
    try {
      const { response } = await s.client.score(grpcTx(), EXPLAIN);
      const r = scoreResponseFromProto(response, { explained: true });
      assert.deepEqual(r.explanation?.[0]?.conditions, JSON.parse(JSON.stringify(tree)));
      await s.client.score(grpcTx());
      await s.client.scoreStream([grpcTx(), grpcTx()], EXPLAIN);
      assert.deepEqual(seen, [
        { explain: true, transport: 'grpc' },
        { explain: false, transport: 'grpc' },
        { explain: true, transport: 'grpc' },
        { explain: true, transport: 'grpc' },
      ]);
    } finally {
      await s.close();
    }
  });
});

describe('google.protobuf.Value ⇄ JSON', () => {
  const { responseSerialize, responseDeserialize } = (
    loadServicePackage()['risk.v1.RiskScoring'] as Record<string, unknown>
  ).Score as MethodDefinition<ProtoScoreResponse, ProtoScoreResponse>;
  /** Through the wire, so that the field names are the ones protobufjs encodes. */
  const roundTrip = (v: unknown): JsonValue => {
    const msg = { explanation: [{ rule: 'r', conditions: toProtoValue(v) }] };
    const back = responseDeserialize(responseSerialize(msg)).explanation?.[0]?.conditions;
    assert.ok(back, 'conditions decoded');
    return fromProtoValue(back);
  };

  const ownProto = JSON.parse('{"__proto__": {"x": 1}}') as JsonValue;
  // What JSON.stringify writes, which is what REST answers.
  const cases: Array<[string, unknown, JsonValue]> = [
    ['null', null, null],
    ['zero', 0, 0],
    ['-0 (JSON writes 0)', -0, 0],
    ['a fraction', 1.5, 1.5],
    ['a large double', -2e300, -2e300],
    ['NaN (JSON writes null)', NaN, null],
    ['Infinity', Infinity, null],
    ['-Infinity', -Infinity, null],
    ['the empty string', '', ''],
    ['non-ASCII text', 'café ✓', 'café ✓'],
    ['true', true, true],
    ['false', false, false],
    ['an empty list', [], []],
    ['an empty object', {}, {}],
    [
      'a list with undefined and NaN (null in JSON)',
      [1, 'a', null, undefined, NaN, [[]]],
      [1, 'a', null, null, null, [[]]],
    ],
    ['an object with an undefined property (left out)', { a: undefined, b: 1 }, { b: 1 }],
    ['a function property (left out)', { f: () => 1, b: 1 }, { b: 1 }],
    ['nested', { a: { b: [true, { c: null }] } }, { a: { b: [true, { c: null }] } }],
    ['a "__proto__" key (an own property, as JSON.parse makes it)', ownProto, ownProto],
  ];
  for (const [name, input, want] of cases) {
    test(name, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(input)), want, 'the table says what JSON says');
      assert.deepEqual(roundTrip(input), want);
    });
  }

  test('undefined on its own is null (as in a list)', () => {
    assert.equal(roundTrip(undefined), null);
  });

  test('a Value with no kind set is refused', () => {
    assert.throws(() => fromProtoValue({}), /no kind set/);
  });
});

function decodeFiles(protos: readonly Buffer[] | undefined): IFileDescriptorProto[] {
  return (protos ?? []).map((b) =>
    descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(b)),
  );
}

/**
 * The type references that a strict client could not resolve: each must name a message or enum
 * of its own file or of a file it imports, looked up from the innermost scope outwards.
 */
function unresolvedTypeNames(files: readonly IFileDescriptorProto[]): string[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const declared = (file: IFileDescriptorProto): string[] => {
    const names = (file.enumType ?? []).map((e) => `${file.package}.${e.name}`);
    const walk = (msgs: IFileDescriptorProto['messageType'], scope: string): void => {
      for (const m of msgs ?? []) {
        names.push(`${scope}.${m.name}`);
        for (const e of m.enumType ?? []) names.push(`${scope}.${m.name}.${e.name}`);
        walk(m.nestedType, `${scope}.${m.name}`);
      }
    };
    walk(file.messageType, file.package ?? '');
    return names;
  };
  const out: string[] = [];
  for (const file of files) {
    const deps = ((file.dependency ?? []) as string[]).map((d) => byName.get(d));
    if (deps.includes(undefined)) out.push(`${file.name}: an import was not served`);
    const visible = new Set([file, ...deps].flatMap((f) => (f === undefined ? [] : declared(f))));
    const check = (msgs: IFileDescriptorProto['messageType'], scope: string): void => {
      for (const m of msgs ?? []) {
        const own = `${scope}.${m.name}`;
        for (const f of m.field ?? []) {
          if (!f.typeName) continue;
          const candidates: string[] = [];
          for (let s = own; s !== ''; s = s.includes('.') ? s.slice(0, s.lastIndexOf('.')) : '') {
            candidates.push(`${s}.${f.typeName}`);
          }
          candidates.push(f.typeName.replace(/^\./, ''));
          if (!candidates.some((c) => visible.has(c))) out.push(`${own}.${f.name}: ${f.typeName}`);
        }
        check(m.nestedType, own);
      }
    };
    check(file.messageType, file.package ?? '');
  }
  return out;
}

describe('grpc.health.v1 and reflection', () => {
  test('health: "" and risk.v1.RiskScoring are SERVING, an unknown service is NOT_FOUND', async () => {
    assert.equal(await srv.client.health(''), 'SERVING');
    assert.equal(await srv.client.health('risk.v1.RiskScoring'), 'SERVING');
    const err = await rejection(srv.client.health('no.such.Service'));
    assert.equal(err.status, status.NOT_FOUND);
  });

  test('health is NOT_SERVING while a readiness check fails', async () => {
    const score: Scorer = (tx) => Promise.resolve({ response: fakeResponse(tx), replayed: false });
    const checks = [{ name: 'redis', check: () => Promise.reject(new Error('down')) }];
    const s = await startGrpcServer({ score, logger: silentLogger, checks, draining: () => false });
    try {
      assert.equal(await s.client.health(''), 'NOT_SERVING');
    } finally {
      await s.close();
    }
  });

  test('reflection lists the services, as `grpcurl list` asks', async () => {
    const res = await srv.client.reflect({ list_services: '*' });
    const names = (res.list_services_response?.service ?? []).map((s) => s.name);
    assert.ok(names.includes('risk.v1.RiskScoring'), names.join());
    assert.ok(names.includes('grpc.health.v1.Health'), names.join());
  });

  test('reflection describes risk.v1.RiskScoring as protoc would, so grpcurl accepts it', async () => {
    const res = await srv.client.reflect({ file_containing_symbol: 'risk.v1.RiskScoring' });
    assert.equal(res.error_response, undefined, JSON.stringify(res.error_response));
    const files = decodeFiles(res.file_descriptor_response?.file_descriptor_proto);
    const file = files.find((f) => f.package === 'risk.v1');
    assert.ok(file, `files: ${files.map((f) => f.name).join()}`);
    assert.deepEqual(
      file.service?.[0]?.method?.map((m) => m.name),
      ['Score', 'ScoreStream'],
    );
    const message = (name: string) => file.messageType?.find((m) => m.name === name);
    // Go's protodesc (grpcurl) refuses a file whose map entry is not named <Field>Entry.
    const tx = message('Transaction');
    assert.deepEqual(
      tx?.nestedType?.map((n) => n.name),
      ['AttributesEntry'],
    );
    assert.equal(tx?.field?.find((f) => f.name === 'attributes')?.typeName, 'AttributesEntry');
    assert.deepEqual(
      message('ScoreResponse')?.nestedType?.map((n) => n.name),
      ['FeaturesEntry'],
    );
    const amount = tx?.field?.find((f) => f.name === 'amount') as { proto3Optional?: boolean };
    assert.equal(amount.proto3Optional, true, 'optional fields are flagged proto3_optional');
  });

  test('reflection serves google.protobuf.Value and Struct as protoc would, imported', async () => {
    const res = await srv.client.reflect({ file_containing_symbol: 'risk.v1.ExplainedRule' });
    assert.equal(res.error_response, undefined, JSON.stringify(res.error_response));
    const files = decodeFiles(res.file_descriptor_response?.file_descriptor_proto);
    const risk = files.find((f) => f.package === 'risk.v1');
    const wkt = files.find((f) => f.package === 'google.protobuf');
    assert.ok(risk && wkt, `files: ${files.map((f) => f.name).join()}`);
    // Go's protodesc (grpcurl) resolves a type only through the file's imports.
    assert.deepEqual(risk.dependency, [wkt.name]);
    assert.deepEqual(unresolvedTypeNames(files), []);
    const explained = risk.messageType?.find((m) => m.name === 'ExplainedRule');
    assert.equal(
      explained?.field?.find((f) => f.name === 'conditions')?.typeName,
      'google.protobuf.Value',
    );
    const message = (name: string) => wkt.messageType?.find((m) => m.name === name);
    // protobufjs's bundled copy names these numberValue, ...; protoc's file number_value, ...
    assert.deepEqual(
      message('Value')?.field?.map((f) => f.name),
      ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'],
    );
    assert.deepEqual(
      message('Value')?.oneofDecl?.map((o) => o.name),
      ['kind'],
    );
    // Struct's `fields` is a map: its entry must be FieldsEntry, as for Transaction.attributes.
    const struct = message('Struct');
    assert.deepEqual(
      struct?.nestedType?.map((n) => n.name),
      ['FieldsEntry'],
    );
    assert.equal(struct?.field?.find((f) => f.name === 'fields')?.typeName, 'FieldsEntry');
    assert.deepEqual(
      message('ListValue')?.field?.map((f) => f.name),
      ['values'],
    );
    assert.deepEqual(
      wkt.enumType?.map((e) => e.name),
      ['NullValue'],
    );

    const direct = await srv.client.reflect({ file_containing_symbol: 'google.protobuf.Value' });
    assert.equal(direct.error_response, undefined, JSON.stringify(direct.error_response));
    assert.deepEqual(
      decodeFiles(direct.file_descriptor_response?.file_descriptor_proto).map((f) => f.name),
      [wkt.name],
    );
  });

  test('map entry names follow protoc', () => {
    assert.equal(mapEntryName('attributes'), 'AttributesEntry');
    assert.equal(mapEntryName('degraded_reasons'), 'DegradedReasonsEntry');
  });
});
