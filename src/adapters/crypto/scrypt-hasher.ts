import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { SecretHasher } from '../../pipeline/user-store.ts';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP Password Storage Cheat Sheet (scrypt section, 2025): N=2^17, r=8, p=1, or an equal
 * trade of memory for CPU such as N=2^15, r=8, p=3. We take the latter: 32 MiB per hash instead
 * of 128 MiB (four checks at once on libuv's four threads stay at 128 MiB), about 0.2 s of one
 * core on the 2-core machine of the benchmarks.
 */
export const OWASP_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const PREFIX = 'scrypt';

function deriveKey(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      secret.normalize('NFC'),
      salt,
      KEY_BYTES,
      // scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default).
      { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (err, key) => (err === null ? resolve(key) : reject(err)),
    );
  });
}

/**
 * At most `limit` calls of `fn` at once, the others queued in order. scrypt runs on libuv's
 * thread pool (four threads), which file writes such as the flag outbox's fdatasync share: a
 * burst of sign-ins must not take all of it.
 */
export function limitConcurrency(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await fn();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/**
 * `scrypt$N=32768,r=8,p=3$<salt>$<key>` (base64url): the parameters travel with each hash, so
 * raising them later leaves the hashes already stored readable. At most `concurrency` (2)
 * derivations run at once.
 */
export function createScryptHasher(
  params: ScryptParams = OWASP_SCRYPT,
  concurrency = 2,
): SecretHasher {
  const limited = limitConcurrency(concurrency);
  const derive = (secret: string, salt: Buffer, p: ScryptParams) =>
    limited(() => deriveKey(secret, salt, p));
  return {
    async hash(secret) {
      const salt = randomBytes(SALT_BYTES);
      const key = await derive(secret, salt, params);
      return `${PREFIX}$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
    },
    async verify(secret, stored) {
      const m = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(
        stored,
      );
      if (m === null) return false;
      const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
      // A stored value is ours, but a damaged one must not make us allocate gigabytes.
      if (N > 2 ** 20 || r > 32 || p > 16) return false;
      const expected = Buffer.from(m[5] ?? '', 'base64url');
      if (expected.length !== KEY_BYTES) return false;
      const key = await derive(secret, Buffer.from(m[4] ?? '', 'base64url'), { N, r, p });
      return timingSafeEqual(key, expected);
    },
  };
}
