import { Cluster, Redis } from 'ioredis';
import type { DecisionCache } from '../pipeline/decision-cache.ts';
import type { VelocityStore } from '../pipeline/velocity-store.ts';
import type { Config } from './config.ts';

export interface RedisConnection {
  client: Redis | Cluster;
  /** What the telemetry and the logs call it. */
  kind: 'redis' | 'redis-cluster';
  close(): Promise<void>;
}

/**
 * The Redis that velocity and idempotency use: a Redis Cluster when REDIS_CLUSTER_NODES is set
 * (it takes precedence), else the one primary of REDIS_URL, else none (null: both live in
 * memory). Scoring must answer in milliseconds, so a slow or absent Redis fails a call within
 * REDIS_TIMEOUT_MS and the answer degrades, instead of queueing calls behind reconnects.
 */
export function openRedis(config: Config, onError: (err: Error) => void): RedisConnection | null {
  let client: Redis | Cluster;
  if (config.REDIS_CLUSTER_NODES !== undefined) {
    client = new Cluster(config.REDIS_CLUSTER_NODES, {
      redisOptions: {
        commandTimeout: config.REDIS_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
        ...(config.REDIS_CLUSTER_PASSWORD !== undefined && {
          password: config.REDIS_CLUSTER_PASSWORD,
        }),
      },
      // Commands for one node go out in one write: a transaction's entity scripts, spread over
      // the shards, cost one round trip of wall time.
      enableAutoPipelining: true,
      // Velocity scripts write, and a replica may lag: everything goes to the masters.
      scaleReads: 'master',
      // While a master fails over, retry soon: the deadline above bounds each call anyway.
      retryDelayOnFailover: 50,
      retryDelayOnClusterDown: 50,
      retryDelayOnTryAgain: 50,
      slotsRefreshTimeout: Math.max(1000, config.REDIS_TIMEOUT_MS),
      // A refreshed slot map at least every 5 s finds a promoted replica even when no call
      // happened to be redirected.
      slotsRefreshInterval: 5000,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    });
  } else if (config.REDIS_URL !== undefined) {
    client = new Redis(config.REDIS_URL, {
      commandTimeout: config.REDIS_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      // Each command is written at once, not batched to the end of the tick: Redis starts on
      // one call's velocity script (about 100 µs) while this process still scores others, so
      // the two overlap instead of taking turns. With auto-pipelining the calls of all requests
      // in flight went out, and came back, together: on the 2-core VM the REST closed loop made
      // 3,016–3,220 requests/s with it and 3,684–3,881 without, at the same CPU per request
      // (load-test/bench/compare.ts; the trivial script of the ceiling gains from batching).
      // Calls still never wait for one another's replies.
      enableAutoPipelining: false,
    });
  } else {
    return null;
  }
  client.on('error', onError);
  // ioredis's Cluster reports node failures this way too.
  client.on('node error', onError);
  return {
    client,
    kind: client instanceof Cluster ? 'redis-cluster' : 'redis',
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * `p`, or a rejection once `ms` have passed. On a cluster a call can wait in the client's queue
 * while the slot map is refreshed, where the per-command timeout has not started: this bounds
 * the whole call. The command may still run later; the velocity script counts an id once.
 */
export function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The velocity store with every call bounded by `ms` (see withinMs). */
export function boundVelocity(store: VelocityStore, ms: number): VelocityStore {
  return {
    record: (tx) => withinMs(store.record(tx), ms, 'redis velocity'),
    ping: () => withinMs(store.ping(), ms, 'redis ping'),
    close: () => store.close(),
  };
}

/** The decision cache with every call bounded by `ms` (see withinMs). */
export function boundDecisions(cache: DecisionCache, ms: number): DecisionCache {
  const bound: DecisionCache = {
    get: (id) => withinMs(cache.get(id), ms, 'redis idempotency'),
    putIfAbsent: (id, d) => withinMs(cache.putIfAbsent(id, d), ms, 'redis idempotency'),
    ping: () => withinMs(cache.ping(), ms, 'redis ping'),
    close: () => cache.close(),
  };
  if (cache.claim !== undefined) {
    bound.claim = (id, h) =>
      withinMs(
        cache.claim?.(id, h) ?? Promise.reject(new Error('no claim')),
        ms,
        'redis idempotency',
      );
  }
  return bound;
}
