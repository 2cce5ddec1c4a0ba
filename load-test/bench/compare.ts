/**
 * Before/after of a change to the service, in one run: the REST closed loop (Redis on, the
 * embedded store for the rest) against the service of another source tree and of this one,
 * alternating (A B A B …) so that both see the same machine, and the ratio of their medians:
 * service CPU and Redis CPU per request, requests/s.
 *
 *   git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/
 *   node load-test/bench/compare.ts /tmp/before
 *
 * Environment: COMPARE_ROUNDS (3), BENCH_SECONDS (8), BENCH_CONNECTIONS (32), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import type { Measured } from './rest-measure.ts';
import { SERVICE, measureRest } from './rest-measure.ts';

const beforeDir = process.argv[2];
const before = beforeDir === undefined ? '' : join(resolve(beforeDir), 'src/main.ts');
if (!existsSync(before)) {
  process.stderr.write('usage: node load-test/bench/compare.ts <source tree of the "before">\n');
  process.exit(2);
}
const rounds = Number(process.env.COMPARE_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
for (const [name, v] of [
  ['COMPARE_ROUNDS', rounds],
  ['BENCH_SECONDS', seconds],
  ['BENCH_CONNECTIONS', connections],
] as const) {
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`${name} must be a positive whole number, got "${process.env[name]}"\n`);
    process.exit(2);
  }
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380';
const log = (msg: string): void => {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
const dataRoot = mkdtempSync(join(tmpdir(), 'risk-compare-'));
const prefix = `bench:${randomUUID().slice(0, 8)}:`;
const runs: Record<'before' | 'after', Measured[]> = { before: [], after: [] };
try {
  for (let i = 0; i < rounds; i++) {
    for (const [which, script] of [
      ['before', before],
      ['after', SERVICE],
    ] as const) {
      log(`round ${i + 1}/${rounds}: ${which}`);
      const r = await measureRest(script, {
        env: {
          RULES_ENGINE: 'compiled',
          REDIS_URL: redisUrl,
          REDIS_KEY_PREFIX: `${prefix}${which}${i}:`,
          DATA_DIR: mkdtempSync(join(dataRoot, `${which}-`)),
        },
        redisNodes: [redis],
        connections,
        durationSeconds: seconds,
        log: () => undefined,
        label: which,
      });
      runs[which].push(r);
    }
  }
} finally {
  await dropKeysWithPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dataRoot, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const summary = (which: 'before' | 'after') => ({
  cpu: median(runs[which].map((r) => r.serverCpuUs)),
  rps: median(runs[which].map((r) => r.throughput)),
  redis: median(runs[which].map((r) => r.redisCpuUs)),
  each: runs[which].map((r) => Math.round(r.serverCpuUs)).join(', '),
});
const b = summary('before');
const a = summary('after');
console.log(
  `service CPU µs/request, median of ${rounds} (each): before ${b.cpu.toFixed(0)} (${b.each}), ` +
    `after ${a.cpu.toFixed(0)} (${a.each}); after/before ${(a.cpu / b.cpu).toFixed(3)}`,
);
console.log(
  `requests/s, median: before ${b.rps.toFixed(0)}, after ${a.rps.toFixed(0)}; ` +
    `after/before ${(a.rps / b.rps).toFixed(3)}`,
);
console.log(
  `Redis CPU µs/request (INFO cpu), median: before ${b.redis.toFixed(0)}, after ` +
    `${a.redis.toFixed(0)}; after/before ${(a.redis / b.redis).toFixed(3)}`,
);
