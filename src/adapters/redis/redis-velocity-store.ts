import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Entity, VelocityFeatures } from '../../domain/features.ts';
import {
  WINDOW_FEATURES,
  entityKeys,
  fromMicros,
  meanOfMicros,
  toMicros,
} from '../../domain/features.ts';
import type { Transaction } from '../../domain/transaction.ts';
import { toVelocityEvent } from '../../domain/velocity.ts';
import type { VelocityLimits, VelocityStore } from '../../pipeline/velocity-store.ts';
import { DEFAULT_VELOCITY_LIMITS } from '../../pipeline/velocity-store.ts';

const SCRIPT = readFileSync(new URL('./velocity.lua', import.meta.url), 'utf8');
const US = '\u001f';

/** Extra values the script returns after the 8 count/sum values of each entity kind. */
const EXTRAS: Record<Entity, readonly string[]> = {
  account: [
    'account.distinct_merchants_1h',
    'account.distinct_countries_24h',
    'account.distinct_devices_24h',
  ],
  card: [],
  device: ['device.distinct_accounts_24h'],
  ip: ['ip.distinct_accounts_1h'],
  merchant: [],
};

type VelocityCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

export interface RedisVelocityStoreOptions {
  redis: Redis;
  /** Prepended to every key; lets several deployments or tests share one Redis. */
  keyPrefix?: string;
  limits?: Partial<VelocityLimits>;
  /**
   * Keys with up to this many events find the events leaving their windows in one read, larger
   * keys in four narrower ones (default 64). Both give the same results; tests run both.
   */
  smallKeyEvents?: number;
}

/**
 * Velocity state in Redis: one sorted set per entity key, updated and read by one Lua script in
 * one round trip per transaction. Each key is trimmed to the retention period and to
 * `maxEventsPerKey` members and expires when idle, so memory per key is bounded.
 *
 * Assumes a single Redis (or a primary with replicas): the script touches keys of several
 * entities, which Redis Cluster would place in different slots.
 */
export function createRedisVelocityStore(opts: RedisVelocityStoreOptions): VelocityStore {
  const { redis } = opts;
  const prefix = opts.keyPrefix ?? 'risk:';
  const limits = { ...DEFAULT_VELOCITY_LIMITS, ...opts.limits };
  if (!('riskVelocity' in redis)) redis.defineCommand('riskVelocity', { lua: SCRIPT });
  const run = (redis as unknown as { riskVelocity: VelocityCommand }).riskVelocity.bind(redis);

  return {
    async record(tx: Transaction): Promise<VelocityFeatures> {
      const e = toVelocityEvent(tx);
      const ents = entityKeys(tx);
      const member = [
        e.id,
        String(toMicros(e.amount)),
        e.account,
        e.merchant ?? '',
        e.country ?? '',
        e.device ?? '',
      ].join(US);
      const keys = [
        `${prefix}seen:${e.id}`,
        ...ents.map(({ entity, value }) => `${prefix}v:${entity}:${value}`),
      ];
      const reply = await run(
        keys.length,
        ...keys,
        e.id,
        e.ts,
        member,
        limits.retentionMs,
        limits.maxEventsPerKey,
        opts.smallKeyEvents ?? 64,
        ...ents.map((x) => x.entity),
      );
      return decode(
        ents.map((x) => x.entity),
        reply,
      );
    },
    async ping(): Promise<void> {
      await redis.ping();
    },
    async close(): Promise<void> {
      // The client belongs to the composition root, which closes it once for every user.
    },
  };
}

function decode(entities: readonly Entity[], reply: readonly number[]): VelocityFeatures {
  if (
    reply.length !==
    entities.reduce((n, e) => n + 8 + EXTRAS[e].length + (e === 'account' ? 3 : 0), 0)
  ) {
    throw new Error(`velocity script returned ${reply.length} values for ${entities.join(',')}`);
  }
  const f: VelocityFeatures = {};
  let i = 0;
  for (const entity of entities) {
    const names = WINDOW_FEATURES[entity];
    for (let w = 0; w < names.length; w += 2) {
      f[names[w]!] = reply[i++]!;
      f[names[w + 1]!] = fromMicros(reply[i++]!);
    }
    for (const name of EXTRAS[entity]) f[name] = reply[i++]!;
    if (entity === 'account') {
      const sinceMs = reply[i++]!;
      const earlierCount = reply[i++]!;
      const earlierMicros = reply[i++]!;
      f['account.seconds_since_last'] = sinceMs < 0 ? null : sinceMs / 1000;
      f['account.avg_amount_24h'] =
        earlierCount > 0 ? meanOfMicros(earlierMicros, earlierCount) : null;
    }
  }
  return f;
}
