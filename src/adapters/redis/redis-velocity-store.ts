import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import type { Entity, VelocityFeatures } from '../../domain/features.ts';
import {
  WINDOW_FEATURES,
  amountOf,
  entityKeys,
  meanAmount,
  toMicroParts,
} from '../../domain/features.ts';
import type { Transaction } from '../../domain/transaction.ts';
import { toVelocityEvent } from '../../domain/velocity.ts';
import { CLAIM_TTL_MS } from '../../pipeline/decision-cache.ts';
import type { StoredDecision } from '../../pipeline/decision-cache.ts';
import type { FirstRecord, VelocityLimits, VelocityStore } from '../../pipeline/velocity-store.ts';
import { DEFAULT_VELOCITY_LIMITS } from '../../pipeline/velocity-store.ts';
import { answerKey, claimKey } from './redis-decision-cache.ts';

const SCRIPT = readFileSync(new URL('./velocity.lua', import.meta.url), 'utf8');
const US = '\u001f';

/** Distinct-value features of each entity kind: the script's hashes and the values it returns. */
const DISTINCT: Record<Entity, ReadonlyArray<{ suffix: string; feature: string }>> = {
  account: [
    { suffix: '|lm', feature: 'account.distinct_merchants_1h' },
    { suffix: '|lc', feature: 'account.distinct_countries_24h' },
    { suffix: '|ld', feature: 'account.distinct_devices_24h' },
  ],
  card: [],
  device: [{ suffix: '|la', feature: 'device.distinct_accounts_24h' }],
  ip: [{ suffix: '|la', feature: 'ip.distinct_accounts_1h' }],
  merchant: [],
};

/**
 * Key suffixes: the packed window state and the tiles. (Earlier versions kept the state in a
 * `|w` hash and distinct counts in `|m`, `|c`, `|d`, `|a` hashes: new names, so that an upgrade
 * rebuilds the state from the events instead of reading a key of the old type; the old keys
 * expire on their own.)
 */
const STATE = '|v';
const TILES = '|t';

/** Values the script returns for one entity: count, units, micros per window, then the rest. */
const replyLength = (e: Entity): number => 12 + DISTINCT[e].length + (e === 'account' ? 4 : 0);

type VelocityCommand = (...keysThenArgs: Array<string | number>) => Promise<number[]>;
type FirstCommand = (...keysThenArgs: Array<string | number>) => Promise<Array<number | string>>;

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
  /**
   * With one call for all entities: the idempotency records' key prefix (the decision cache's
   * `keyPrefix`), which gives the store `recordFirst` (the lookup, the claim and the velocity
   * update in one script call). Unset: no `recordFirst`.
   */
  idempotencyKeyPrefix?: string;
}

/**
 * The key of one entity: its hash tag (`{account:42}`) puts every key of the entity in one slot.
 * A value holding `}` ends the tag early, but every key of that entity still shares it.
 */
export function entityKey(prefix: string, entity: Entity, value: string): string {
  return `${prefix}v:{${entity}:${value}}`;
}

/**
 * Velocity state in Redis: per entity key, a sorted set of its raw events, its packed window
 * state, a busy key's tiles and its distinct-value sets (value -> latest event time), all under
 * one hash tag. On a cluster a transaction runs the Lua script once per entity it carries, on
 * whichever shard holds it; the calls go out together (one round trip of wall time). On one Redis
 * one call does every entity. The script is loaded once (EVALSHA). On a cluster each entity keeps
 * its own marker of the transaction ids it counted, so a repeated id is never counted twice on
 * any shard, even when an earlier attempt reached only some of them; on one Redis one marker per
 * transaction lists the entity keys that counted it. Each key is trimmed to the retention period,
 * keeps at most `maxEventsPerKey` raw events (older ones folded into tiles, see velocity.lua) and
 * expires when idle, so memory per key is bounded.
 */
export function createRedisVelocityStore(opts: RedisVelocityStoreOptions): VelocityStore {
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
    const n = 4 + DISTINCT[entity].length;
    const name = `riskVelocity${n}`;
    if (!(name in redis)) redis.defineCommand(name, { lua: SCRIPT, numberOfKeys: n });
    const command = (redis as unknown as Record<string, VelocityCommand>)[name]!;
    commands.set(n, command.bind(redis));
  }
  if (!('riskVelocityAll' in redis)) redis.defineCommand('riskVelocityAll', { lua: SCRIPT });
  const all = (redis as unknown as { riskVelocityAll: VelocityCommand }).riskVelocityAll.bind(
    redis,
  );
  /** An entity's keys; with `id`, its own marker of the transaction (one call per entity). */
  const keysOf = (entity: Entity, value: string, id?: string): string[] => {
    const k = entityKey(prefix, entity, value);
    const keys = [k, k + STATE, k + TILES, ...DISTINCT[entity].map((d) => k + d.suffix)];
    if (id !== undefined) keys.push(`${k}|s:${id}`);
    return keys;
  };

  /** The script's arguments before its marker mode: the event and the limits. */
  const argsOf = (tx: Transaction): Array<string | number> => {
    const e = toVelocityEvent(tx);
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
    return [
      e.id,
      e.ts,
      member,
      limits.retentionMs,
      limits.maxEventsPerKey,
      smallKeyEvents,
      limits.tileMs,
    ];
  };
  /** Every entity's keys, then the transaction's marker: one call, atomic on one Redis. */
  const allKeysOf = (tx: Transaction, ents: ReturnType<typeof entityKeys>): string[] => {
    const keys = ents.flatMap(({ entity, value }) => keysOf(entity, value));
    keys.push(`${prefix}v:tx:${tx.transaction_id}`);
    return keys;
  };
  /** The features of every entity from one call's reply, from index `at` on. */
  const decodeAll = (
    ents: ReturnType<typeof entityKeys>,
    reply: ReadonlyArray<number | string>,
    at: number,
  ): VelocityFeatures => {
    const f: VelocityFeatures = {};
    for (const { entity } of ents) {
      if (at + replyLength(entity) > reply.length) {
        throw new Error(`velocity script returned ${reply.length} values`);
      }
      at = decode(entity, reply as readonly number[], at, f);
    }
    if (at !== reply.length) throw new Error(`velocity script returned ${reply.length} values`);
    return f;
  };

  const store: VelocityStore = {
    async record(tx: Transaction): Promise<VelocityFeatures> {
      const ents = entityKeys(tx);
      const args = argsOf(tx);
      if (!callPerEntity) {
        // One marker for the transaction says which entity keys counted it (one key per
        // transaction instead of one per entity).
        const keys = allKeysOf(tx, ents);
        const reply = await all(keys.length, ...keys, ...args, 'tx', ...ents.map((x) => x.entity));
        return decodeAll(ents, reply, 0);
      }
      const f: VelocityFeatures = {};
      const replies = await Promise.all(
        ents.map(({ entity, value }) => {
          const keys = keysOf(entity, value, tx.transaction_id);
          return commands.get(keys.length)!(...keys, ...args, 'entity', entity);
        }),
      );
      for (let i = 0; i < ents.length; i++) {
        const entity = ents[i]!.entity;
        const reply = replies[i]!;
        if (reply.length !== replyLength(entity)) {
          throw new Error(`velocity script returned ${reply.length} values for ${entity}`);
        }
        decode(entity, reply, 0, f);
      }
      return f;
    },
    async ping(): Promise<void> {
      await redis.ping();
    },
    async close(): Promise<void> {
      // The client belongs to the composition root, which closes it once for every user.
    },
  };
  const idemPrefix = opts.idempotencyKeyPrefix;
  if (!callPerEntity && idemPrefix !== undefined) {
    const first = (redis as unknown as { riskVelocityAll: FirstCommand }).riskVelocityAll.bind(
      redis,
    );
    store.recordFirst = async (tx, payloadHash): Promise<FirstRecord> => {
      const ents = entityKeys(tx);
      const keys = allKeysOf(tx, ents);
      keys.push(answerKey(idemPrefix, tx.transaction_id), claimKey(idemPrefix, tx.transaction_id));
      const reply = await first(
        keys.length,
        ...keys,
        ...argsOf(tx),
        'first',
        payloadHash,
        CLAIM_TTL_MS,
        ...ents.map((x) => x.entity),
      );
      switch (reply[0]) {
        case 'recorded':
          return { kind: 'recorded', features: decodeAll(ents, reply, 1) };
        case 'stored':
          return { kind: 'stored', stored: JSON.parse(String(reply[1])) as StoredDecision };
        case 'claimed':
          return { kind: 'claimed', payloadHash: String(reply[1]) };
        default:
          throw new Error(`velocity script answered ${String(reply[0])}`);
      }
    };
  }
  return store;
}

/** Reads one entity's features from `reply[at..]` into `f`; returns the index after them. */
function decode(entity: Entity, reply: readonly number[], at: number, f: VelocityFeatures): number {
  const names = WINDOW_FEATURES[entity];
  let i = at;
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
    const earlierMicros = reply[i++]!;
    f['account.seconds_since_last'] = sinceMs < 0 ? null : sinceMs / 1000;
    f['account.avg_amount_24h'] =
      earlierCount > 0 ? meanAmount(earlierUnits, earlierMicros, earlierCount) : null;
  }
  return i;
}
