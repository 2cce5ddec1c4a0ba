import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { simulatorFeed } from '../simulator/feed.js';
import type { LoadResult } from './http-load.js';
import { runHttpLoad } from './http-load.js';
import { runOpenLoop } from './open-loop.js';
import { cpuSeconds, redisCpuSeconds } from './cpu.js';
import { startServer } from './processes.js';
import type { BenchSection } from './report.js';

export interface RestBenchOptions {
  redisUrl: string;
  /** A client of the same Redis, to read its CPU time. */
  redis: Redis;
  connections: number;
  durationSeconds: number;
  fixedRate: number;
  log: (msg: string) => void;
}

const SERVICE = new URL('../../src/main.js', import.meta.url).pathname;
const CEILING = new URL('./ceiling-server.js', import.meta.url).pathname;

/** Request bodies: the simulator's traffic (load-test/simulator), new ids for every run. */
function bodies(): () => string {
  const next = simulatorFeed({ seed: 7, runId: `bench-${randomUUID().slice(0, 8)}` });
  return () => JSON.stringify(next());
}

/** A load result with where the CPU went: the server process and Redis, per answered request. */
interface Measured extends LoadResult {
  serverCpuUs: number;
  redisCpuUs: number;
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
    const [server0, redis0] = [cpuSeconds(pid), await redisCpuSeconds(o.redis)];
    const r =
      rate !== undefined
        ? await runOpenLoop({
            url: server.url,
            rate,
            durationSeconds: o.durationSeconds,
            body: bodies(),
          })
        : await runHttpLoad({
            url: server.url,
            connections: o.connections,
            durationSeconds: o.durationSeconds,
            body: bodies(),
          });
    const perRequest = (seconds: number): number => (seconds / r.requests) * 1e6;
    return {
      ...r,
      serverCpuUs: perRequest(cpuSeconds(pid) - server0),
      redisCpuUs: perRequest((await redisCpuSeconds(o.redis)) - redis0),
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
  ];
  return [
    {
      title: 'REST scoring with real Redis, closed loop',
      method:
        `autocannon, ${o.connections} connections, ${o.durationSeconds} s after a 2 s warm-up, each request a new ` +
        'generated transaction (5,000 accounts, 500 merchants). The server runs in its own process; ' +
        'Redis, server and load generator share the 2 cores.',
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
  ];
}
