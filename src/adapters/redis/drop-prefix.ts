import type { Cluster, Redis } from 'ioredis';

/**
 * Deletes every key that starts with `prefix` (SCAN + UNLINK, in batches, never KEYS), and
 * returns how many went. For tests and benchmarks that share one Redis (or cluster) under unique
 * prefixes. On a cluster every master is scanned, and keys are unlinked one by one: one UNLINK
 * of keys in several slots is refused (CROSSSLOT), even on one node.
 */
export async function dropKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  if ('nodes' in redis && typeof redis.nodes === 'function') {
    let dropped = 0;
    for (const node of redis.nodes('master')) dropped += await dropOn(node, prefix, true);
    return dropped;
  }
  return dropOn(redis as Redis, prefix, false);
}

async function dropOn(redis: Redis, prefix: string, oneKeyPerCall: boolean): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let dropped = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) {
      if (oneKeyPerCall) {
        const counts = await Promise.all(keys.map((k) => redis.unlink(k)));
        dropped += counts.reduce((a, b) => a + b, 0);
      } else {
        dropped += await redis.unlink(...keys);
      }
    }
    cursor = next;
  } while (cursor !== '0');
  return dropped;
}
