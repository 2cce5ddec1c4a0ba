import { after } from 'node:test';
import { createRedisVelocityStore } from '../../src/adapters/redis/redis-velocity-store.js';
import { velocityStoreConformance } from '../conformance/velocity-store.js';
import { connectTestRedis, dropPrefix, uniquePrefix } from '../helpers/redis.js';

const redis = connectTestRedis();
const prefixes: string[] = [];
after(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  redis.disconnect();
});

velocityStoreConformance('redis', (limits) => {
  const keyPrefix = uniquePrefix('velocity');
  prefixes.push(keyPrefix);
  return Promise.resolve(createRedisVelocityStore({ redis, keyPrefix, limits }));
});
