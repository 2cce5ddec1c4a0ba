/**
 * BENCH BASELINE ONLY: the Redis velocity store as it was before busy-key tiles and the CPU cuts
 * (with its script, ./velocity.lua, copied unchanged), kept so that
 * load-test/bench/velocity-shards.ts measures the old and the new design in the same run on the
 * same servers. Not used by the service; do not fix bugs here, fix them in src/adapters/redis.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { Entity, VelocityFeatures } from '../../../src/domain/features.ts';
import {
  WINDOW_FEATURES,
  amountOf,
  entityKeys,
  meanAmount,
  toMicroParts,
} from '../../../src/domain/features.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import { toVelocityEvent } from '../../../src/domain/velocity.ts';
import type { VelocityStore } from '../../../src/pipeline/velocity-store.ts';

/** The limits of that version: 25 h retention, the oldest events forgotten above 10,000. */
interface VelocityLimits {
  retentionMs: number;
  maxEventsPerKey: number;
}
const DEFAULT_VELOCITY_LIMITS: VelocityLimits = {
  retentionMs: 25 * 3_600_000,
  maxEventsPerKey: 10_000,
};

const SCRIPT = readFileSync(new URL('./velocity.lua', import.meta.url), 'utf8');
const US = '\u001f';

/** Distinct-value features of each entity kind: the script's hashes and the values it returns. */
const DISTINCT: Record<Entity, ReadonlyArray<{ suffix: string; feature: string }>> = {
  account: [
    { suffix: '|m', feature: 'account.distinct_merchants_1h' },
    { suffix: '|c', feature: 'account.distinct_countries_24h' },
    { suffix: '|d', feature: 'account.distinct_devices_24h' },
  ],
  card: [],
  device: [{ suffix: '|a', feature: 'device.distinct_accounts_24h' }],
  ip: [{ suffix: '|a', feature: 'ip.distinct_accounts_1h' }],
  merchant: [],
};

/** Values the script returns for one entity: count, units, micros per window, then the rest. */
const replyLength = (e: Entity): number => 12 + DISTINCT[e].length + (e === 'account' ? 4 : 0);

type VelocityCommand = (...keysThenArgs: Array<string | number>) => Promise<number[]>;

export interface RedisVelocityStoreOptions {
  /** One Redis (or primary), or a Redis Cluster: every script touches one hash slot only. */
  redis: Redis | Cluster;
  /** Prepended to every key; lets several deployments or tests share one Redis. */
  keyPrefix?: string;
  limits?: Partial<VelocityLimits>;
  /**
   * Keys with up to this many events find the events leaving their windows in one read, larger
   * keys in four narrower ones (default 64). Both give the same results; tests run both.
   */
  smallKeyEvents?: number;
  /**
   * One script call per entity (required on a cluster, where each entity is in its own slot),
   * or one call for all of a transaction's entities (one Redis: the same keys and work, without
   * the overhead of four more calls). Default: per entity on a Cluster client only.
   */
  callPerEntity?: boolean;
}

/**
 * The key of one entity: its hash tag (`{account:42}`) puts every key of the entity in one slot.
 * A value holding `}` ends the tag early, but every key of that entity still shares it.
 */
function entityKey(prefix: string, entity: Entity, value: string): string {
  return `${prefix}v:{${entity}:${value}}`;
}

/**
 * Velocity state in Redis: per entity key, a sorted set of its events, a hash of its window state
 * and its distinct-value hashes, all under one hash tag. On a cluster a transaction runs the Lua
 * script once per entity it carries, on whichever shard holds it; the calls go out together (one
 * round trip of wall time). On one Redis one call does every entity. The script is loaded once
 * (EVALSHA). Each entity keeps its own marker of the
 * transaction ids it counted, so a repeated id is never counted twice on any shard, even when an
 * earlier attempt reached only some of them. Each key is trimmed to the retention period and to
 * `maxEventsPerKey` members and expires when idle, so memory per key is bounded.
 */
export function createBaselineVelocityStore(opts: RedisVelocityStoreOptions): VelocityStore {
  const { redis } = opts;
  const prefix = opts.keyPrefix ?? 'risk:';
  const limits = { ...DEFAULT_VELOCITY_LIMITS, ...opts.limits };
  const smallKeyEvents = opts.smallKeyEvents ?? 64;
  const callPerEntity = opts.callPerEntity ?? redis.isCluster;
  // One command per number of keys, all the same script (one SHA): with the key count fixed, a
  // call's first argument is its first key, which is what ioredis's cluster auto-pipelining
  // groups commands by (with a variable count it would read the count as the key).
  const commands = new Map<number, VelocityCommand>();
  for (const entity of Object.keys(DISTINCT) as Entity[]) {
    const n = 3 + DISTINCT[entity].length;
    const name = `riskVelocityBaseline${n}`;
    if (!(name in redis)) redis.defineCommand(name, { lua: SCRIPT, numberOfKeys: n });
    const command = (redis as unknown as Record<string, VelocityCommand>)[name]!;
    commands.set(n, command.bind(redis));
  }
  if (!('riskVelocityBaselineAll' in redis))
    redis.defineCommand('riskVelocityBaselineAll', { lua: SCRIPT });
  const all = (
    redis as unknown as { riskVelocityBaselineAll: VelocityCommand }
  ).riskVelocityBaselineAll.bind(redis);
  const keysOf = (entity: Entity, value: string, id: string): string[] => {
    const k = entityKey(prefix, entity, value);
    return [k, `${k}|w`, ...DISTINCT[entity].map((d) => k + d.suffix), `${k}|s:${id}`];
  };

  return {
    async record(tx: Transaction): Promise<VelocityFeatures> {
      const e = toVelocityEvent(tx);
      const ents = entityKeys(tx);
      const [units, micros] = toMicroParts(e.amount);
      const member = [
        e.id,
        String(units),
        String(micros),
        e.account,
        e.merchant ?? '',
        e.country ?? '',
        e.device ?? '',
      ].join(US);
      const args = [e.id, e.ts, member, limits.retentionMs, limits.maxEventsPerKey, smallKeyEvents];
      const f: VelocityFeatures = {};
      if (!callPerEntity) {
        const keys = ents.flatMap(({ entity, value }) => keysOf(entity, value, e.id));
        const reply = await all(keys.length, ...keys, ...args, ...ents.map((x) => x.entity));
        let at = 0;
        for (const { entity } of ents) {
          const end = at + replyLength(entity);
          decode(entity, reply.slice(at, end), f);
          at = end;
        }
        if (at !== reply.length) throw new Error(`velocity script returned ${reply.length} values`);
        return f;
      }
      const replies = await Promise.all(
        ents.map(({ entity, value }) => {
          const keys = keysOf(entity, value, e.id);
          return commands.get(keys.length)!(...keys, ...args, entity);
        }),
      );
      for (let i = 0; i < ents.length; i++) decode(ents[i]!.entity, replies[i]!, f);
      return f;
    },
    async ping(): Promise<void> {
      await redis.ping();
    },
    async close(): Promise<void> {
      // The client belongs to the composition root, which closes it once for every user.
    },
  };
}

function decode(entity: Entity, reply: readonly number[], f: VelocityFeatures): void {
  if (reply.length !== replyLength(entity)) {
    throw new Error(`velocity script returned ${reply.length} values for ${entity}`);
  }
  const names = WINDOW_FEATURES[entity];
  let i = 0;
  for (let w = 0; w < names.length; w += 2) {
    f[names[w]!] = reply[i++]!;
    const units = reply[i++]!;
    f[names[w + 1]!] = amountOf(units, reply[i++]!);
  }
  for (const d of DISTINCT[entity]) f[d.feature] = reply[i++]!;
  if (entity === 'account') {
    const sinceMs = reply[i++]!;
    const earlierCount = reply[i++]!;
    const earlierUnits = reply[i++]!;
    const earlierMicros = reply[i]!;
    f['account.seconds_since_last'] = sinceMs < 0 ? null : sinceMs / 1000;
    f['account.avg_amount_24h'] =
      earlierCount > 0 ? meanAmount(earlierUnits, earlierMicros, earlierCount) : null;
  }
}
