/**
 * `npm run bench`: measures rule evaluation, REST and gRPC scoring against real Redis, each next
 * to a baseline measured in the same run, and writes a dated markdown + JSON report to
 * load-test/reports/. Needs the local services (`npm run services:up`).
 *
 * Options (environment): BENCH_SECONDS (default 10), BENCH_CONNECTIONS (32), BENCH_RATE (2000,
 * REST), BENCH_GRPC_RATE (1000), REDIS_URL (the local services' Redis). gRPC unary load comes
 * from ghz, installed with `go install` on first use.
 */
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.js';
import type { BenchReport, BenchSection } from './report.js';
import { machineInfo, writeReport } from './report.js';
import { grpcBench } from './grpc-bench.js';
import { modelBench } from './model-bench.js';
import { restBench } from './rest-bench.js';
import { rulesBench } from './rules-bench.js';

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const fixedRate = Number(process.env.BENCH_RATE ?? 2000);
// ghz costs the machine about 0.65 of a core, and unary gRPC saturates near 2,000 calls/s here:
// the gRPC fixed-rate row runs lower so that it shows latency below saturation.
const grpcRate = Number(process.env.BENCH_GRPC_RATE ?? 1000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380';

const report: BenchReport = {
  startedAt: new Date().toISOString(),
  machine: machineInfo(),
  sections: [],
};
const sections: BenchSection[] = report.sections;
sections.push(await rulesBench(log));
sections.push(await modelBench(log));
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
try {
  sections.push(
    ...(await restBench({
      redisUrl,
      redis,
      connections,
      durationSeconds: seconds,
      fixedRate,
      log,
    })),
  );
  sections.push(
    ...(await grpcBench({
      redisUrl,
      connections,
      durationSeconds: seconds,
      fixedRate: grpcRate,
      log,
    })),
  );
} finally {
  // Every run writes under bench:<id>: prefixes; leave the Redis as it was found.
  log(`dropped ${await dropKeysWithPrefix(redis, 'bench:')} benchmark keys from Redis`);
  redis.disconnect();
}
const path = writeReport(report);
log(`report written to ${path}`);
