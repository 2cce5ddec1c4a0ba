/**
 * `npm run bench`: measures rule evaluation, REST and gRPC scoring against real Redis, each next
 * to a baseline measured in the same run, and writes a dated markdown + JSON report to
 * load-test/reports/. Needs the local services (`npm run services:up`).
 *
 * Options (environment): BENCH_SECONDS (default 10), BENCH_CONNECTIONS (32), BENCH_RATE (2000,
 * REST), BENCH_GRPC_RATE (1000), REDIS_URL, DATABASE_URL, KAFKA_BROKERS (the local services').
 * The service runs with all three stores on (a throwaway database and topic, removed at the
 * end). gRPC unary load comes from ghz, installed with `go install` on first use.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import type { BenchReport, BenchSection } from './report.ts';
import { machineInfo, writeReport } from './report.ts';
import { grpcBench } from './grpc-bench.ts';
import { modelBench } from './model-bench.ts';
import { restBench } from './rest-bench.ts';
import { rulesBench } from './rules-bench.ts';

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
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://risk:risk@127.0.0.1:5433/risk';
const kafkaBrokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

/** One statement on the server's maintenance connection (CREATE/DROP DATABASE). */
async function adminSql(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

// The service under test runs with every store on: a database and a flags topic of its own.
const runId = randomUUID().replaceAll('-', '').slice(0, 10);
const benchDb = `bench_${runId}`;
const topic = `bench-flags-${runId}`;
await adminSql(`CREATE DATABASE ${benchDb}`);
const dbUrl = new URL(databaseUrl);
dbUrl.pathname = `/${benchDb}`;
const dataDir = mkdtempSync(join(tmpdir(), 'risk-bench-'));
const serviceEnv = {
  DATABASE_URL: dbUrl.toString(),
  KAFKA_BROKERS: kafkaBrokers,
  KAFKA_FLAGS_TOPIC: topic,
  KAFKA_CREATE_TOPIC: 'true',
  DATA_DIR: dataDir,
};

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
      serviceEnv,
      log,
    })),
  );
  sections.push(
    ...(await grpcBench({
      redisUrl,
      connections,
      durationSeconds: seconds,
      fixedRate: grpcRate,
      serviceEnv,
      log,
    })),
  );
} finally {
  // Every run writes under bench:<id>: prefixes; leave the Redis as it was found.
  log(`dropped ${await dropKeysWithPrefix(redis, 'bench:')} benchmark keys from Redis`);
  redis.disconnect();
  await adminSql(`DROP DATABASE IF EXISTS ${benchDb} WITH (FORCE)`).catch((err: unknown) =>
    log(`could not drop ${benchDb}: ${String(err)}`),
  );
  const admin = new Kafka({
    clientId: 'bench-cleanup',
    brokers: kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin
    .connect()
    .then(() => admin.deleteTopics({ topics: [topic], timeout: 10_000 }))
    .catch((err: unknown) => log(`could not delete topic ${topic}: ${String(err)}`))
    .finally(() => admin.disconnect());
  rmSync(dataDir, { recursive: true, force: true });
}
const path = writeReport(report);
log(`report written to ${path}`);
