import type { ClusterFigures } from './cluster-bench.ts';
import type { GrpcFigures } from './grpc-bench.ts';
import type { BenchSection } from './report.ts';
import type { RestFigures } from './rest-bench.ts';

/** What the sections of one run measured; a section left out (BENCH_ONLY) is absent. */
export interface RunFigures {
  rest?: RestFigures;
  grpc?: GrpcFigures;
  cluster?: ClusterFigures;
}

/**
 * A service process should run below this share of its core (headroom for bursts, GC and a
 * lost replica's traffic), and a Redis shard below this share of its one thread's.
 */
export const SERVICE_UTILISATION = 0.6;
export const REDIS_SHARD_UTILISATION = 0.5;

const round = (v: number, digits = 0): number => Number(v.toFixed(digits));
const met = (ok: boolean): string => (ok ? 'met' : 'missed');

/**
 * Issue 13's targets, each figure beside its ceiling from the same run (a target is a ratio or
 * a bound on this machine; the lead reruns on a quiet one).
 */
export function targetsSection(f: RunFigures): BenchSection | null {
  const rows: Array<Array<string | number>> = [];
  const r = f.rest;
  if (r !== undefined) {
    rows.push(
      [
        'Redis CPU per transaction, Redis + PostgreSQL + Kafka (µs)',
        round(r.allOn.redisCpuUs, 1),
        round(r.ceiling.redisCpuUs, 1),
        '≤ 30 µs',
        met(r.allOn.redisCpuUs <= 30),
      ],
      [
        'service CPU per REST request, Redis + embedded store (µs)',
        round(r.redisOnly.serverCpuUs),
        round(r.ceiling.serverCpuUs),
        '≤ 70 µs',
        met(r.redisOnly.serverCpuUs <= 70),
      ],
      [
        'service CPU per REST request, Redis + PostgreSQL + Kafka (µs)',
        round(r.allOn.serverCpuUs),
        round(r.ceiling.serverCpuUs),
        '≤ 70 µs',
        met(r.allOn.serverCpuUs <= 70),
      ],
      [
        'REST closed loop, Redis on: requests/s (ratio to ceiling)',
        `${Math.round(r.redisOnly.throughput).toLocaleString('en-US')} (${(r.redisOnly.throughput / r.ceiling.throughput).toFixed(2)})`,
        Math.round(r.ceiling.throughput),
        '≥ 0.6',
        met(r.redisOnly.throughput / r.ceiling.throughput >= 0.6),
      ],
      [
        'REST closed loop, Redis + PostgreSQL + Kafka: requests/s (ratio to ceiling)',
        `${Math.round(r.allOn.throughput).toLocaleString('en-US')} (${(r.allOn.throughput / r.ceiling.throughput).toFixed(2)})`,
        Math.round(r.ceiling.throughput),
        '≥ 0.4',
        met(r.allOn.throughput / r.ceiling.throughput >= 0.4),
      ],
      [
        `open loop at ${r.rate.toLocaleString('en-US')} req/s asked, Redis + PostgreSQL + Kafka: p99 ms (× ceiling's p99)`,
        `${round(r.openAllOn.p99Ms, 2)} (${(r.openAllOn.p99Ms / r.openCeiling.p99Ms).toFixed(1)}×; ` +
          `${Math.round(r.openAllOn.throughput).toLocaleString('en-US')} req/s answered, ` +
          `${(r.openAllOn.errors + r.openAllOn.non2xx).toLocaleString('en-US')} errors)`,
        `${round(r.openCeiling.p99Ms, 2)} (${Math.round(r.openCeiling.throughput).toLocaleString('en-US')} req/s, ` +
          `${(r.openCeiling.errors + r.openCeiling.non2xx).toLocaleString('en-US')} errors)`,
        '≤ 3×',
        // Met only if every request was answered: a p99 of the answered part says nothing.
        met(
          r.openAllOn.p99Ms <= 3 * r.openCeiling.p99Ms &&
            r.openAllOn.errors + r.openAllOn.non2xx === 0,
        ),
      ],
    );
  }
  if (r !== undefined && f.grpc !== undefined) {
    const s = f.grpc.stream.result;
    rows.push([
      `gRPC ${f.grpc.stream.name} vs REST closed loop (both Redis + PostgreSQL + Kafka): requests/s (ratio)`,
      `${Math.round(s.throughput).toLocaleString('en-US')} (${(s.throughput / r.allOn.throughput).toFixed(2)})`,
      `REST ${Math.round(r.allOn.throughput).toLocaleString('en-US')}`,
      '> 1.0',
      met(s.throughput > r.allOn.throughput),
    ]);
  }
  if (rows.length === 0) return null;
  return {
    title: 'Issue 13 targets, each beside its ceiling (this run)',
    method:
      'Read from the sections below, all measured in this run: the ceiling is ' +
      'load-test/bench/ceiling-server.ts (same HTTP stack: JSON parse, one Redis script call, a ' +
      'reply). CPU per request is the process CPU time (/proc, user + system, every thread) over ' +
      'the measured run divided by the answers; Redis CPU is INFO cpu of the whole server.',
    columns: ['figure', 'measured', 'ceiling (same run)', 'target', ''],
    rows,
  };
}

/** Cores per 10k tx/s and Redis shards per 100k tx/s, from this run's CPU per transaction. */
export function sizingSection(f: RunFigures): BenchSection | null {
  const rows: Array<Array<string | number>> = [];
  const r = f.rest;
  if (r !== undefined) {
    for (const [name, m] of [
      ['service, Redis + embedded store', r.redisOnly],
      ['service, Redis + PostgreSQL + Kafka', r.allOn],
    ] as const) {
      const cores = (m.serverCpuUs * 10_000) / 1e6;
      rows.push([
        `${name}: cores per 10k tx/s`,
        `${m.serverCpuUs.toFixed(0)} µs/request`,
        round(cores, 2),
        Math.ceil(cores / SERVICE_UTILISATION),
      ]);
    }
  }
  const c = f.cluster;
  if (c !== undefined) {
    for (const [name, m] of [
      ['one Redis', c.one],
      [`Redis Cluster (${c.masters.length} masters)`, c.cluster],
    ] as const) {
      const cores = (m.redisCpuUs * 100_000) / 1e6;
      rows.push([
        `${name}: Redis shards per 100k tx/s`,
        `${m.redisCpuUs.toFixed(1)} µs/tx`,
        round(cores, 2),
        Math.ceil(cores / REDIS_SHARD_UTILISATION),
      ]);
    }
  }
  if (rows.length === 0) return null;
  return {
    title: 'Sizing (from this run)',
    method:
      'CPU per transaction × traffic = cores busy. A service process is planned at ' +
      `${SERVICE_UTILISATION * 100}% of a core and a Redis shard (one thread) at ` +
      `${REDIS_SHARD_UTILISATION * 100}%, for bursts, garbage collection and fail-over. On a ` +
      'shared 2-core machine the CPU per transaction is higher than on dedicated cores (cache and ' +
      'scheduler contention): read these as an upper bound.',
    columns: ['what', 'CPU per transaction', 'cores busy', 'planned (rounded up)'],
    rows,
  };
}
