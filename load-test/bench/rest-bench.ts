import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { simulatorFeed } from '../simulator/feed.ts';
import type { LoadResult } from './http-load.ts';
import { runHttpLoad } from './http-load.ts';
import { runOpenLoop } from './open-loop.ts';
import { cpuSeconds, redisCpuSeconds } from './cpu.ts';
import { startServer } from './processes.ts';
import type { BenchSection, ServiceBenchOptions } from './report.ts';
import type { Decisions } from './decisions.ts';
import { decisionMix, decisionsBetween, decisionsOf, progress } from './decisions.ts';

export interface RestBenchOptions extends ServiceBenchOptions {
  /** A client of the same Redis, to read its CPU time. */
  redis: Redis;
}

const SERVICE = new URL('../../src/main.ts', import.meta.url).pathname;
const CEILING = new URL('./ceiling-server.ts', import.meta.url).pathname;
const OTLP_SINK = new URL('./otlp-sink.ts', import.meta.url).pathname;

/** Request bodies: the simulator's traffic (load-test/simulator), new ids for every run. */
function bodies(): () => string {
  const next = simulatorFeed({ seed: 7, runId: `bench-${randomUUID().slice(0, 8)}` });
  return () => JSON.stringify(next());
}

/** A load result with where the CPU went: the server process and Redis, per answered request. */
interface Measured extends LoadResult {
  serverCpuUs: number;
  redisCpuUs: number;
  /** Decisions of the measured run (warm-up excluded). */
  decisions: Decisions;
}

async function measure(
  script: string,
  env: Record<string, string>,
  o: RestBenchOptions,
  rate?: number,
): Promise<Measured> {
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  const server = await startServer(script, {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    ...(script === SERVICE ? o.serviceEnv : {}),
    ...env,
  });
  try {
    // A short warm-up lets the JIT compile the hot path before the measured run.
    await runHttpLoad({
      url: server.url,
      connections: o.connections,
      durationSeconds: 2,
      body: bodies(),
    });
    const pid = server.process.pid ?? 0;
    const before = await decisionsOf(server.url, 'rest');
    // The bodies are simulated before the clock starts.
    const body = bodies();
    const [server0, redis0] = [cpuSeconds(pid), await redisCpuSeconds(o.redis)];
    const done = progress(o.log, script === SERVICE ? 'service' : 'ceiling', o.durationSeconds);
    const r = await (
      rate !== undefined
        ? runOpenLoop({ url: server.url, rate, durationSeconds: o.durationSeconds, body })
        : runHttpLoad({
            url: server.url,
            connections: o.connections,
            durationSeconds: o.durationSeconds,
            body,
          })
    ).finally(done);
    const perRequest = (seconds: number): number => (seconds / r.requests) * 1e6;
    const serverCpuUs = perRequest(cpuSeconds(pid) - server0);
    const redisCpuUs = perRequest((await redisCpuSeconds(o.redis)) - redis0);
    const after = await decisionsOf(server.url, 'rest');
    return {
      ...r,
      serverCpuUs,
      redisCpuUs,
      decisions: decisionsBetween(before, after),
    };
  } finally {
    await server.stop();
  }
}

function row(name: string, r: Measured, ceiling?: Measured): Array<string | number> {
  return [
    name,
    Math.round(r.throughput),
    r.p50Ms,
    r.p99Ms,
    r.p999Ms,
    r.errors + r.non2xx,
    ceiling ? (r.throughput / ceiling.throughput).toFixed(2) : '1.00',
    Math.round(r.serverCpuUs),
    Math.round(r.redisCpuUs),
    decisionMix(r.decisions),
  ];
}

/** REST scoring against real Redis, next to the ceiling, then latency at a fixed rate. */
export async function restBench(o: RestBenchOptions): Promise<BenchSection[]> {
  o.log(
    `REST ceiling: parse + one Redis round trip + reply, ${o.connections} connections, ${o.durationSeconds} s`,
  );
  const ceiling = await measure(CEILING, {}, o);
  o.log(`REST scoring (compiled rules), same load`);
  const scoring = await measure(SERVICE, { RULES_ENGINE: 'compiled' }, o);
  o.log(`REST scoring (json-rules-engine), same load`);
  const reference = await measure(SERVICE, { RULES_ENGINE: 'json-rules-engine' }, o);
  o.log(`REST scoring at a fixed ${o.fixedRate} requests/s`);
  const fixed = await measure(SERVICE, { RULES_ENGINE: 'compiled' }, o, o.fixedRate);
  const fixedCeiling = await measure(CEILING, {}, o, o.fixedRate);

  // Tracing cost: the same closed loop with spans exported to a collector stand-in.
  const sink = await startServer(OTLP_SINK, {});
  let traced: Measured;
  let sampled: Measured;
  let spans: number;
  try {
    const otel = (sampler: string, ratio: string) => ({
      RULES_ENGINE: 'compiled',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: sampler,
      OTEL_TRACES_SAMPLER_ARG: ratio,
    });
    o.log('REST scoring with tracing: every call sampled');
    traced = await measure(SERVICE, otel('parentbased_always_on', '1'), o);
    o.log('REST scoring with tracing: 10% of calls sampled (the default)');
    sampled = await measure(SERVICE, otel('parentbased_traceidratio', '0.1'), o);
    spans = ((await (await fetch(`${sink.url}/count`)).json()) as { spans: number }).spans;
  } finally {
    await sink.stop();
  }

  const columns = [
    'server',
    'requests/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'errors',
    'ratio to ceiling',
    'server CPU µs/request',
    'Redis CPU µs/request',
    'approve / review / decline',
  ];
  return [
    {
      title: 'REST scoring with real Redis, closed loop',
      method:
        `autocannon, ${o.connections} connections, ${o.durationSeconds} s after a 2 s warm-up, each request the ` +
        "next transaction of the simulator's stream (20,000 customers, labelled fraud mixed in). The service " +
        'runs in its own process with Redis, PostgreSQL (rules, windows, flag outbox) and Kafka (flags) on; ' +
        'all of them and the load generator share the 2 cores.',
      columns,
      rows: [
        row('ceiling (parse + 1 Redis round trip + reply)', ceiling),
        row('scoring, compiled rules', scoring, ceiling),
        row('scoring, json-rules-engine', reference, ceiling),
      ],
    },
    {
      title: `REST scoring latency at ${o.fixedRate.toLocaleString('en-US')} requests/s`,
      method:
        `Open loop (load-test/bench/open-loop.ts): request i sent at start + i / ${o.fixedRate} s whatever the ` +
        `answers do, latency measured from that due time (no coordinated omission), up to 64 keep-alive ` +
        `connections, ${o.durationSeconds} s after a 2 s closed-loop warm-up.`,
      columns,
      rows: [row('ceiling', fixedCeiling), row('scoring, compiled rules', fixed, fixedCeiling)],
    },
    {
      title: 'Tracing cost (REST scoring, closed loop)',
      method:
        'The closed loop above with OpenTelemetry tracing on: spans batched and exported over ' +
        'OTLP/HTTP to a collector stand-in in its own process (load-test/bench/otlp-sink.ts). ' +
        '"ratio to ceiling" here is the ratio to scoring without tracing, measured in the same run.',
      columns,
      rows: [
        row('tracing off', scoring),
        row('tracing on, every call sampled', traced, scoring),
        row('tracing on, 10% sampled (default)', sampled, scoring),
      ],
      notes: [`The collector received ${spans.toLocaleString('en-US')} spans.`],
    },
  ];
}
