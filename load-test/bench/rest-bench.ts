import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startServer } from './processes.ts';
import type { BenchSection, ServiceBenchOptions } from './report.ts';
import { decisionMix } from './decisions.ts';
import type { Measured } from './rest-measure.ts';
import { CEILING, SERVICE, measureRest } from './rest-measure.ts';

export interface RestBenchOptions extends ServiceBenchOptions {
  /** A client of the same Redis, to read its CPU time. */
  redis: Redis;
}

/** The runs the targets table (targets.ts) reads. */
export interface RestFigures {
  /** The open loop's rate, requests/s. */
  rate: number;
  ceiling: Measured;
  redisOnly: Measured;
  allOn: Measured;
  openCeiling: Measured;
  openAllOn: Measured;
}

const OTLP_SINK = new URL('./otlp-sink.ts', import.meta.url).pathname;

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

/**
 * REST scoring against real Redis next to the ceiling, with Redis alone (rules, windows and
 * flags in the embedded store) and with Redis, PostgreSQL and Kafka; then latency at a fixed
 * rate and the cost of tracing.
 */
export async function restBench(
  o: RestBenchOptions,
): Promise<{ sections: BenchSection[]; figures: RestFigures }> {
  const run = async (
    label: string,
    script: string,
    env: Record<string, string>,
    rate?: number,
  ): Promise<Measured> => {
    const prefix = `bench:${randomUUID().slice(0, 8)}:`;
    return measureRest(script, {
      env: { REDIS_URL: o.redisUrl, REDIS_KEY_PREFIX: prefix, ...env },
      redisNodes: [o.redis],
      connections: o.connections,
      durationSeconds: o.durationSeconds,
      ...(rate !== undefined && { rate }),
      log: o.log,
      label,
    });
  };
  const compiled = { RULES_ENGINE: 'compiled' };
  o.log(
    `REST ceiling: parse + one Redis round trip + reply, ${o.connections} connections, ${o.durationSeconds} s`,
  );
  const ceiling = await run('ceiling', CEILING, {});
  o.log('REST scoring (compiled rules), Redis on, the embedded store for the rest');
  const redisOnly = await run('service', SERVICE, { ...compiled, ...o.redisOnlyEnv() });
  o.log('REST scoring (compiled rules), Redis, PostgreSQL and Kafka on');
  const allOn = await run('service', SERVICE, { ...compiled, ...o.serviceEnv });
  o.log('REST scoring (json-rules-engine), Redis, PostgreSQL and Kafka on');
  const reference = await run('service', SERVICE, {
    RULES_ENGINE: 'json-rules-engine',
    ...o.serviceEnv,
  });
  o.log(`REST scoring at a fixed ${o.fixedRate} requests/s`);
  const openAllOn = await run('service', SERVICE, { ...compiled, ...o.serviceEnv }, o.fixedRate);
  const openCeiling = await run('ceiling', CEILING, {}, o.fixedRate);

  // Tracing cost: the same closed loop with spans exported to a collector stand-in.
  const sink = await startServer(OTLP_SINK, {});
  let traced: Measured;
  let sampled: Measured;
  let spans: number;
  try {
    const otel = (sampler: string, ratio: string) => ({
      ...compiled,
      ...o.serviceEnv,
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_TRACES_SAMPLER: sampler,
      OTEL_TRACES_SAMPLER_ARG: ratio,
    });
    o.log('REST scoring with tracing: every call sampled');
    traced = await run('service', SERVICE, otel('parentbased_always_on', '1'));
    o.log('REST scoring with tracing: 10% of calls sampled (the default)');
    sampled = await run('service', SERVICE, otel('parentbased_traceidratio', '0.1'));
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
  const sections: BenchSection[] = [
    {
      title: 'REST scoring with real Redis, closed loop',
      method:
        `autocannon, ${o.connections} connections, ${o.durationSeconds} s after a 2 s warm-up, each request the ` +
        "next transaction of the simulator's stream (20,000 customers, labelled fraud mixed in). The service " +
        'runs in its own process with Redis on and either its embedded store (SQLite: rules, windows, ' +
        'flag outbox, decision log) or PostgreSQL and Kafka (flags); all of them and the load ' +
        "generator share the 2 cores. Redis CPU is the whole server's (INFO cpu) over the run.",
      columns,
      rows: [
        row('ceiling (parse + 1 Redis round trip + reply)', ceiling),
        row('scoring, Redis + embedded store', redisOnly, ceiling),
        row('scoring, Redis + PostgreSQL + Kafka', allOn, ceiling),
        row('scoring, Redis + PostgreSQL + Kafka, json-rules-engine', reference, ceiling),
      ],
    },
    {
      title: `REST scoring latency at ${o.fixedRate.toLocaleString('en-US')} requests/s`,
      method:
        `Open loop (load-test/bench/open-loop.ts): request i sent at start + i / ${o.fixedRate} s whatever the ` +
        `answers do, latency measured from that due time (no coordinated omission), up to 64 keep-alive ` +
        `connections, ${o.durationSeconds} s after a 2 s closed-loop warm-up.`,
      columns,
      rows: [
        row('ceiling', openCeiling),
        row('scoring, Redis + PostgreSQL + Kafka', openAllOn, openCeiling),
      ],
    },
    {
      title: 'Tracing cost (REST scoring, closed loop)',
      method:
        'The closed loop above with OpenTelemetry tracing on: spans batched and exported over ' +
        'OTLP/HTTP to a collector stand-in in its own process (load-test/bench/otlp-sink.ts). ' +
        '"ratio to ceiling" here is the ratio to scoring without tracing, measured in the same run.',
      columns,
      rows: [
        row('tracing off', allOn),
        row('tracing on, every call sampled', traced, allOn),
        row('tracing on, 10% sampled (default)', sampled, allOn),
      ],
      notes: [`The collector received ${spans.toLocaleString('en-US')} spans.`],
    },
  ];
  return {
    sections,
    figures: { rate: o.fixedRate, ceiling, redisOnly, allOn, openCeiling, openAllOn },
  };
}
