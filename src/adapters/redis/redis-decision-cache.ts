import type { Redis } from 'ioredis';
import type { DecisionCache, StoredDecision } from '../../pipeline/decision-cache.ts';
import { CLAIM_TTL_MS, IDEMPOTENCY_TTL_MS } from '../../pipeline/decision-cache.ts';

/** Sets the claim unless one is held; returns the held one. One key: fine on a cluster too. */
const CLAIM_LUA = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

export interface RedisDecisionCacheOptions {
  redis: Redis;
  keyPrefix?: string;
  ttlMs?: number;
}

/** Idempotency records in Redis beside the velocity state: one JSON string per id, with a TTL. */
export function createRedisDecisionCache(opts: RedisDecisionCacheOptions): DecisionCache {
  const { redis } = opts;
  const prefix = `${opts.keyPrefix ?? 'risk:'}idem:`;
  const claimPrefix = `${opts.keyPrefix ?? 'risk:'}idem-claim:`;
  const ttl = opts.ttlMs ?? IDEMPOTENCY_TTL_MS;

  async function get(id: string): Promise<StoredDecision | null> {
    const raw = await redis.get(prefix + id);
    return raw === null ? null : (JSON.parse(raw) as StoredDecision);
  }

  return {
    get,
    async putIfAbsent(id, entry) {
      const ok = await redis.set(prefix + id, JSON.stringify(entry), 'PX', ttl, 'NX');
      if (ok === 'OK') return entry;
      // Lost the race to a concurrent call with the same id: its record is the answer.
      return (await get(id)) ?? entry;
    },
    async claim(id, payloadHash) {
      const held = await redis.eval(CLAIM_LUA, 1, `${claimPrefix}${id}`, payloadHash, CLAIM_TTL_MS);
      return String(held);
    },
    async ping() {
      await redis.ping();
    },
    close: () => Promise.resolve(),
  };
}
