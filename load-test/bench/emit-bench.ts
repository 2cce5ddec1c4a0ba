import { randomUUID } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgWindowStore } from '../../src/adapters/postgres/pg-window-store.ts';
import type { RiskFlag } from '../../src/domain/flag.ts';
import type { WindowAggregate } from '../../src/domain/windows.ts';
import { WindowAccumulator } from '../../src/domain/windows.ts';
import { simulatorFeed } from '../simulator/feed.ts';
import { runOpenLoop } from './open-loop.ts';
import { startServer } from './processes.ts';
import type { BenchSection } from './report.ts';

const SERVICE = new URL('../../src/main.ts', import.meta.url).pathname;

export interface EmitBenchOptions {
  databaseUrl: string;
  kafkaBrokers: string;
  redisUrl: string;
  rates: number[];
  durationSeconds: number;
  log: (msg: string) => void;
}

/** A database of its own for the run, dropped at the end. */
async function withDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    // Retried: an autovacuum worker on the database makes FORCE fail for the `risk` role.
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        break;
      } catch (err) {
        if (attempt === 5) process.stderr.write(`could not drop ${name}: ${String(err)}\n`);
        else await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
}

function histogram() {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** The simulator's transactions, every fifth from a sanctioned country (a flag). */
function bodies(idPrefix: string): () => string {
  const next = simulatorFeed({ seed: 11, runId: idPrefix });
  let i = 0;
  return () => {
    const tx = next();
    i += 1;
    return JSON.stringify(i % 5 === 0 ? { ...tx, location: 'KP' } : tx);
  };
}

/**
 * Flag delivery latency: the service in server mode (PostgreSQL outbox, Kafka, Redis) under a
 * fixed-rate load; a consumer in this process takes, for every flag, its arrival time minus
 * its `scored_at` (one machine, one clock).
 */
export async function flagDeliveryBench(o: EmitBenchOptions): Promise<BenchSection> {
  const rows: Array<Array<string | number>> = [];
  const notes: string[] = [];
  for (const rate of o.rates) {
    await withDatabase(o.databaseUrl, async (databaseUrl) => {
      const topic = `bench-flags-${randomUUID().slice(0, 8)}`;
      const kafka = new Kafka({
        clientId: 'emit-bench',
        brokers: o.kafkaBrokers.split(','),
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const server = await startServer(SERVICE, {
        HTTP_PORT: '0',
        GRPC_PORT: '0',
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: o.kafkaBrokers,
        KAFKA_FLAGS_TOPIC: topic,
        REDIS_URL: o.redisUrl,
        REDIS_KEY_PREFIX: `bench:${randomUUID().slice(0, 8)}:`,
      });
      const consumer = kafka.consumer({ groupId: `bench-${randomUUID().slice(0, 8)}` });
      const measuredPrefix = `emit-${rate}-${randomUUID().slice(0, 6)}`;
      const latency = histogram();
      let received = 0;
      let lastArrival = Date.now();
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: ({ message }) => {
            const now = Date.now();
            const flag = JSON.parse(message.value?.toString() ?? '{}') as RiskFlag;
            lastArrival = now;
            if (flag.transaction_id?.startsWith(measuredPrefix)) {
              received += 1;
              latency.recordValue(Math.max(1, (now - Date.parse(flag.scored_at)) * 1000));
            }
            return Promise.resolve();
          },
        });
        o.log(`flags at ${rate}/s: warm-up`);
        await runOpenLoop({
          url: server.url,
          rate,
          durationSeconds: 2,
          body: bodies(`warm-${measuredPrefix}`),
        });
        o.log(`flags at ${rate}/s: ${o.durationSeconds} s measured`);
        const rest = await runOpenLoop({
          url: server.url,
          rate,
          durationSeconds: o.durationSeconds,
          body: bodies(measuredPrefix),
        });
        // Until nothing has arrived for 2 s (at most 30 s).
        const deadline = Date.now() + 30_000;
        while (Date.now() - lastArrival < 2000 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        const metric = (name: string) =>
          Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN);
        const flushes = metric('risk_window_flush_duration_seconds_count');
        const flushMs = (metric('risk_window_flush_duration_seconds_sum') / flushes) * 1000;
        const keysPerFlush = metric('risk_window_flushed_keys_total') / flushes;
        const published = Number(
          /^risk_flags_published_total\{outbox="postgres"\} (\d+)/m.exec(metrics)?.[1] ?? 0,
        );
        rows.push([
          rate,
          rest.p50Ms,
          rest.p99Ms,
          received,
          latency.getValueAtPercentile(50) / 1000,
          latency.getValueAtPercentile(99) / 1000,
          latency.maxValue / 1000,
          flushMs,
          keysPerFlush,
        ]);
        notes.push(
          `${rate}/s: ${rest.requests} answered (${rest.errors + rest.non2xx} errors); ` +
            `${published} flags published by the relay in all (warm-up included); ` +
            `${flushes} window flushes.`,
        );
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await server.stop();
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
      }
    });
  }
  return {
    title: 'Flag delivery and window flushes in the service (server mode)',
    method:
      'The service as its own process with PostgreSQL (outbox, windows), Kafka (one local broker, ' +
      'topic of 3 partitions) and Redis, under an open-loop load of generated transactions of which ' +
      'every fifth comes from a sanctioned country (a little over a fifth flagged in all). Flag latency ' +
      'is the consumer’s arrival time minus the flag’s scored_at: outbox INSERT, relay linger ' +
      '(5 ms), produce with acks=all, consumer fetch. Window flush figures are the service’s own ' +
      'metrics (one flush a second).',
    columns: [
      'rate/s',
      'REST p50 ms',
      'REST p99 ms',
      'flags measured',
      'flag p50 ms',
      'flag p99 ms',
      'flag max ms',
      'flush mean ms',
      'keys per flush',
    ],
    rows,
    notes,
  };
}

/** Distinct keys spread as production would: 60 s windows × categories × countries × channels. */
function aggregates(count: number, windowStartMs: number): WindowAggregate[] {
  const acc = new WindowAccumulator(60_000);
  let i = 0;
  while (acc.size < count) {
    acc.add({
      timestamp: new Date(windowStartMs + Math.floor(i / 400) * 60_000).toISOString(),
      amount: 10 + (i % 1000),
      merchant_category: `mcc-${i % 300}`,
      location: `C${i % 97}`,
      channel: `ch-${i % 3}`,
      risk_score: i % 101,
      risk_flag: i % 7 === 0,
    });
    i += 1;
  }
  return acc.list().slice(0, count);
}

/**
 * Window write rate: batches of additive upserts (one statement each, with its flush id), first
 * onto new keys (inserts), then onto the same keys again (updates), from this process.
 */
export async function windowWriteBench(o: EmitBenchOptions): Promise<BenchSection> {
  const rows: Array<Array<string | number>> = [];
  await withDatabase(o.databaseUrl, async (url) => {
    const db = createPgDatabase({ connectionString: url });
    try {
      await migrate(db);
      const store = createPgWindowStore({ db });
      for (const size of [100, 1_000, 10_000]) {
        const batches = Math.max(3, Math.round(20_000 / size));
        for (const kind of ['insert', 'update'] as const) {
          const base = Date.parse('2024-06-01T00:00:00Z') + size * 1_000_000;
          const parts = aggregates(size, base);
          const started = performance.now();
          for (let b = 0; b < batches; b++) {
            // Inserts: each batch its own windows; updates: the first batch's keys again.
            const shifted =
              kind === 'insert'
                ? parts.map((p) => ({
                    ...p,
                    windowStartMs: p.windowStartMs + (b + 1) * 86_400_000,
                    windowEndMs: p.windowEndMs + (b + 1) * 86_400_000,
                  }))
                : parts;
            await store.add(`bench-${kind}-${size}-${b}-${randomUUID()}`, shifted);
          }
          const seconds = (performance.now() - started) / 1000;
          rows.push([size, kind, batches, (seconds / batches) * 1000, (size * batches) / seconds]);
          o.log(
            `window writes: ${size} keys per batch, ${kind}: ${((size * batches) / seconds).toFixed(0)} keys/s`,
          );
        }
      }
    } finally {
      await db.close();
    }
  });
  return {
    title: 'Window write rate (additive upserts into PostgreSQL)',
    method:
      'Batches of window keys written by the PostgreSQL window store (one INSERT … SELECT FROM ' +
      'unnest … ON CONFLICT DO UPDATE per batch, with its flush id in the same statement), one ' +
      'batch at a time over one connection, to the local PostgreSQL (synchronous_commit off).',
    columns: ['keys per batch', 'rows', 'batches', 'ms per batch', 'keys/s'],
    rows,
  };
}

/** Heap per key held in the window buffer, with V8's GC forced around the measurement. */
export function windowMemoryBench(log: (msg: string) => void): BenchSection {
  const gc = (globalThis as { gc?: () => void }).gc;
  const rows: Array<Array<string | number>> = [];
  for (const keys of [10_000, 100_000]) {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const acc = new WindowAccumulator(60_000);
    for (const a of aggregates(keys, Date.parse('2024-06-01T00:00:00Z'))) acc.merge(a);
    gc?.();
    const bytes = process.memoryUsage().heapUsed - before;
    rows.push([keys, bytes / 2 ** 20, bytes / acc.size]);
    log(`window buffer: ${keys} keys hold ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  }
  return {
    title: 'Window buffer memory',
    method:
      'Heap held by the in-memory window accumulator (what a replica keeps while PostgreSQL is ' +
      `down), measured around building it${gc === undefined ? ' (without forced GC: run with --expose-gc)' : ' with forced GC'}.`,
    columns: ['keys', 'MiB', 'bytes per key'],
    rows,
  };
}
