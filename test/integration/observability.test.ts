// /metrics and traces of the service wired to the real Redis, PostgreSQL and Kafka: every named
// series is scraped after REST and gRPC calls, and spans arrive over OTLP/HTTP at a collector
// started here, children of the caller's traceparent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { transactionToProto } from '../../src/api/grpc/messages.ts';
import type { App } from '../../src/app/build-app.ts';
import { postScore } from '../helpers/app.ts';
import type { GrpcTestServer } from '../helpers/grpc.ts';
import { startGrpcApp } from '../helpers/grpc.ts';
import { waitFor } from '../helpers/fakes.ts';
import { KAFKA_BROKERS, deleteTopic, uniqueTopic } from '../helpers/kafka.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';
import { makeTx } from '../helpers/tx.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

const received: OtlpSpan[] = [];
const collector = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    if (req.url === '/v1/traces') {
      const doc = JSON.parse(body) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const rs of doc.resourceSpans)
        for (const ss of rs.scopeSpans) received.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let db: ThrowawayDb;
let app: App;
let grpc: GrpcTestServer;
const topic = uniqueTopic('observability');

before(async () => {
  collector.listen(0, '127.0.0.1');
  await new Promise((r) => collector.once('listening', r));
  const { port } = collector.address() as AddressInfo;
  db = await createThrowawayDb('observability');
  grpc = await startGrpcApp({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6380',
    REDIS_KEY_PREFIX: `observability:${randomUUID().slice(0, 8)}:`,
    DATABASE_URL: db.url,
    KAFKA_BROKERS,
    KAFKA_FLAGS_TOPIC: topic,
    KAFKA_CREATE_TOPIC: 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
  });
  app = (grpc as GrpcTestServer & { app: App }).app;
});

after(async () => {
  await grpc?.close(); // and the app
  collector.close();
  await db?.drop();
  await deleteTopic(topic);
});

test('/metrics has every named series after REST and gRPC calls', { timeout: 60_000 }, async () => {
  assert.equal((await postScore(app, makeTx({ account_id: 'obs-1' }))).status, 200);
  const declined = await postScore(app, makeTx({ account_id: 'obs-2', location: 'KP' }));
  assert.equal(declined.body.decision, 'decline');
  await grpc.client.score(transactionToProto(makeTx({ account_id: 'obs-3' })));
  // The window buffer flushes every second by default: wait for its first write.
  const scrape = async () => (await app.http.inject({ url: '/metrics' })).body;
  await waitFor(
    async () => /^risk_window_flushed_keys_total [1-9]\d*$/m.test(await scrape()),
    30_000,
    'windows flushed once',
  );

  const text = await scrape();
  const want: Array<[string, RegExp]> = [
    ['decisions by transport', /^risk_decisions_total\{decision="approve",transport="rest"\} 1$/m],
    ['decline by rest', /^risk_decisions_total\{decision="decline",transport="rest"\} 1$/m],
    ['decisions over gRPC', /^risk_decisions_total\{decision="approve",transport="grpc"\} 1$/m],
    ['latency histogram', /^risk_score_duration_seconds_bucket\{le="0\.001"\} \d+$/m],
    ...(['features', 'model', 'rules', 'flag', 'decision_store'] as const).map(
      (stage): [string, RegExp] => [
        `stage ${stage}`,
        new RegExp(`^risk_stage_duration_seconds_count\\{stage="${stage}"\\} [1-9]\\d*$`, 'm'),
      ],
    ),
    ['rule hits', /^risk_rule_fired_total\{rule="sanctioned-country",shadow="false"\} 1$/m],
    ['ruleset version', /^risk_ruleset_info\{version="1",rules="\d+"\} 1$/m],
    ['model version', /^risk_model_info\{version="tx-iforest-[^"]+"\} 1$/m],
    ['outbox depth', /^risk_flag_outbox_depth\{outbox="postgres"\} \d+$/m],
    ['outbox age', /^risk_flag_outbox_oldest_age_seconds\{outbox="postgres"\} [\d.e+-]+$/m],
    ['window flush lag', /^risk_window_flush_lag_seconds [\d.e+-]+$/m],
    ['window flushes', /^risk_window_flushed_keys_total [1-9]\d*$/m],
    ...(['redis', 'postgres', 'kafka'] as const).map((d): [string, RegExp] => [
      `${d} errors`,
      new RegExp(`^risk_dependency_errors_total\\{dependency="${d}"\\} \\d+$`, 'm'),
    ]),
  ];
  const missing = want.filter(([, re]) => !re.test(text)).map(([name]) => name);
  assert.deepEqual(
    missing,
    [],
    text
      .split('\n')
      .filter((l) => l.startsWith('risk_'))
      .join('\n'),
  );
});

test(
  'spans over OTLP: risk.score under the caller span, a child per stage',
  { timeout: 60_000 },
  async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const callerSpan = randomUUID().replaceAll('-', '').slice(0, 16);
    const tx = makeTx({ account_id: 'obs-trace', location: 'KP' });
    const res = await postScore(app, tx, { traceparent: `00-${traceId}-${callerSpan}-01` });
    assert.equal(res.status, 200);
    const ours = () => received.filter((s) => s.traceId === traceId);
    // The root and its five stages; asserted one by one below (a missing one is named there).
    await waitFor(() => ours().length >= 6, 30_000, 'six spans exported').catch(() => undefined);

    const spans = ours();
    const root = spans.find((s) => s.name === 'risk.score');
    assert.ok(root, `no risk.score span in ${JSON.stringify(spans.map((s) => s.name))}`);
    assert.equal(root.parentSpanId, callerSpan);
    const attrs = Object.fromEntries((root.attributes ?? []).map((a) => [a.key, a.value]));
    assert.deepEqual(attrs['risk.decision'], { stringValue: 'decline' });
    assert.deepEqual(attrs['risk.transaction_id'], { stringValue: tx.transaction_id });
    const children = spans
      .filter((s) => s.parentSpanId === root.spanId)
      .map((s) => s.name)
      .sort();
    assert.deepEqual(children, [
      'risk.decision_store',
      'risk.features',
      'risk.flag',
      'risk.model',
      'risk.rules',
    ]);
    const features = spans.find((s) => s.name === 'risk.features');
    assert.deepEqual(features?.attributes?.find((a) => a.key === 'risk.store')?.value, {
      stringValue: 'redis',
    });
  },
);

test(
  'a gRPC call with traceparent metadata gets its risk.score span under the caller',
  { timeout: 60_000 },
  async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const callerSpan = randomUUID().replaceAll('-', '').slice(0, 16);
    await grpc.client.score(transactionToProto(makeTx({ account_id: 'obs-grpc-trace' })), {
      traceparent: `00-${traceId}-${callerSpan}-01`,
    });
    const root = () => received.find((s) => s.traceId === traceId && s.name === 'risk.score');
    await waitFor(() => root() !== undefined, 30_000, 'risk.score span exported');
    assert.equal(root()?.parentSpanId, callerSpan);
  },
);
