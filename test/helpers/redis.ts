import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';

/** The Redis that `scripts/services.sh up` starts, unless REDIS_URL says otherwise. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380';

export function connectTestRedis(): Redis {
  // Fail fast instead of retrying forever: a missing Redis must fail the suite, not hang it.
  return new Redis(TEST_REDIS_URL, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: false,
  });
}

/** A key prefix no other test uses, so tests never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix`. */
export const dropPrefix = dropKeysWithPrefix;
