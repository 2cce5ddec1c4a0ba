import type { Cluster, Redis } from 'ioredis';
import type { DecisionCache, StoredDecision } from '../../pipeline/decision-cache.ts';
import { CLAIM_TTL_MS, IDEMPOTENCY_TTL_MS } from '../../pipeline/decision-cache.ts';

export interface RedisDecisionCacheOptions {
  /** One Redis or a Redis Cluster: every command names one key. */
  redis: Redis | Cluster;
  keyPrefix?: string;
  ttlMs?: number;
}

/** The key of one transaction_id's stored answer (the velocity script reads it too). */
export const answerKey = (keyPrefix: string, id: string): string => `${keyPrefix}idem:${id}`;

/** The key of one transaction_id's claim (the velocity script takes it too). */
export const claimKey = (keyPrefix: string, id: string): string => `${keyPrefix}idem-claim:${id}`;

/**
 * Idempotency records in Redis beside the velocity state: one JSON string per id, with a TTL.
 * Every command touches one key, so on a cluster each goes to the shard of its id.
 */
export function createRedisDecisionCache(opts: RedisDecisionCacheOptions): DecisionCache {
  const { redis } = opts;
  const keyPrefix = opts.keyPrefix ?? 'risk:';
  const ttl = opts.ttlMs ?? IDEMPOTENCY_TTL_MS;

  async function get(id: string): Promise<StoredDecision | null> {
    const raw = await redis.get(answerKey(keyPrefix, id));
    return raw === null ? null : (JSON.parse(raw) as StoredDecision);
  }

  return {
    get,
    async putIfAbsent(id, entry) {
      const ok = await redis.set(answerKey(keyPrefix, id), JSON.stringify(entry), 'PX', ttl, 'NX');
      if (ok === 'OK') return entry;
      // Lost the race to a concurrent call with the same id: its record is the answer.
      return (await get(id)) ?? entry;
    },
    async claim(id, payloadHash) {
      // One native command (Redis ≥ 7.0, Valkey): sets the claim unless one is held, and
      // answers the held one (null when this call took it). No script text sent per call.
      const held = await redis.set(
        claimKey(keyPrefix, id),
        payloadHash,
        'PX',
        CLAIM_TTL_MS,
        'NX',
        'GET',
      );
      return held ?? payloadHash;
    },
    async ping() {
      await redis.ping();
    },
    close: () => Promise.resolve(),
  };
}
