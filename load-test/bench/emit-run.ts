/**
 * `npm run bench:emit`: flag delivery latency (scoring → consumer) and window flushes in the
 * service, the window write rate of the PostgreSQL store, and the window buffer's memory per
 * key; writes load-test/reports/<date>-emit-bench.md and .json. Needs the local services
 * (`npm run services:up`).
 *
 * Options (environment): BENCH_SECONDS (default 10), BENCH_EMIT_RATES (default "200,1000"),
 * DATABASE_URL, KAFKA_BROKERS, REDIS_URL (default: the local services').
 */
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import { flagDeliveryBench, windowMemoryBench, windowWriteBench } from './emit-bench.ts';
import type { BenchReport } from './report.ts';
import { machineInfo, writeReport } from './report.ts';

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const options = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://risk:risk@127.0.0.1:5433/risk',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6380',
  rates: (process.env.BENCH_EMIT_RATES ?? '200,1000').split(',').map(Number),
  durationSeconds: Number(process.env.BENCH_SECONDS ?? 10),
  log,
};

const report: BenchReport = {
  startedAt: new Date().toISOString(),
  machine: machineInfo(),
  sections: [],
};
report.sections.push(windowMemoryBench(log));
report.sections.push(await windowWriteBench(options));
try {
  report.sections.push(await flagDeliveryBench(options));
} finally {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  log(`dropped ${await dropKeysWithPrefix(redis, 'bench:')} benchmark keys from Redis`);
  redis.disconnect();
}
log(`report written to ${writeReport(report, 'load-test/reports', 'emit-bench')}`);
