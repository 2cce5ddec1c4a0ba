import type { Redis } from 'ioredis';

/**
 * Deletes every key that starts with `prefix` (SCAN + UNLINK, in batches, never KEYS), and
 * returns how many went. For tests and benchmarks that share one Redis under unique prefixes.
 */
export async function dropKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  let dropped = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) dropped += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return dropped;
}
