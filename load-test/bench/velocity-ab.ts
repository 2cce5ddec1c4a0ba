/**
 * Redis CPU of the velocity script, before and after a change, in one run:
 *
 *   git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/
 *   node load-test/bench/velocity-ab.ts /tmp/before
 *
 * Each round feeds 8,000 of the simulator's transactions, 32 in flight, through the one-call
 * first step (`recordFirst`) of the other tree's Redis velocity store and of this one, alternating
 * (A B A B …) on one Redis (REDIS_URL), each on a fresh key prefix dropped afterwards. The first
 * 2,000 create the keys; over the other 6,000 it reads INFO commandstats (EVALSHA µs per call
 * and the µs of the commands the script sent) and INFO cpu (the whole server, µs per
 * transaction), and prints the medians and their ratio. Environment: AB_ROUNDS (3), AB_CUSTOMERS
 * (20,000: the simulator's customers; fewer give each entity more transactions), REDIS_URL.
 */
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import type { VelocityStore } from '../../src/pipeline/velocity-store.ts';
import { simulatorFeed } from '../simulator/feed.ts';

type Factory = (opts: {
  redis: Redis;
  keyPrefix: string;
  idempotencyKeyPrefix: string;
}) => VelocityStore;

const beforeDir = process.argv[2];
const rounds = Number(process.env.AB_ROUNDS ?? 3);
// Fewer customers: more transactions per entity (the simulator's default is 20,000).
const customers = Number(process.env.AB_CUSTOMERS ?? 20_000);
if (
  beforeDir === undefined ||
  !Number.isInteger(rounds) ||
  rounds <= 0 ||
  !Number.isInteger(customers) ||
  customers <= 0
) {
  process.stderr.write(
    'usage: [AB_ROUNDS=3] [AB_CUSTOMERS=20000] node load-test/bench/velocity-ab.ts <tree before>\n',
  );
  process.exit(2);
}
const connect = (): Redis =>
  new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6380', { enableAutoPipelining: true });
/** Reads INFO and drops keys; the stores have a client each (below). */
const redis = connect();
const WARM = 2000;
const MEASURED = 6000;
const IN_FLIGHT = 32;

async function load(dir: string): Promise<Factory> {
  const mod = (await import(resolve(dir, 'src/adapters/redis/redis-velocity-store.ts'))) as {
    createRedisVelocityStore: Factory;
  };
  return mod.createRedisVelocityStore;
}

const cpuSeconds = (info: string): number =>
  info
    .split('\n')
    .filter((l) => /^used_cpu_(sys|user):/.test(l))
    .reduce((sum, l) => sum + Number(l.split(':')[1]), 0);

async function feed(store: VelocityStore, txs: readonly Transaction[]): Promise<void> {
  const first = store.recordFirst;
  if (first === undefined) throw new Error('this velocity store has no recordFirst');
  for (let i = 0; i < txs.length; i += IN_FLIGHT) {
    await Promise.all(txs.slice(i, i + IN_FLIGHT).map((tx) => first(tx, 'payload')));
  }
}

interface Measured {
  evalshaUs: number;
  commandsUs: number;
  cpuUs: number;
}

async function measure(create: Factory, client: Redis, round: number): Promise<Measured> {
  const keyPrefix = `velocity-ab:${process.pid}:${Date.now()}:`;
  const store = create({ redis: client, keyPrefix, idempotencyKeyPrefix: keyPrefix });
  const next = simulatorFeed({ seed: 11 + round, runId: keyPrefix, customers });
  const txs = Array.from({ length: WARM + MEASURED }, () => next());
  try {
    await feed(store, txs.slice(0, WARM));
    await redis.config('RESETSTAT');
    const before = cpuSeconds(await redis.info('cpu'));
    await feed(store, txs.slice(WARM));
    const cpu = cpuSeconds(await redis.info('cpu')) - before;
    const stats = await redis.info('commandstats');
    const ev = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats);
    if (ev === null) throw new Error('no EVALSHA in INFO commandstats');
    const calls = Number(ev[1]);
    let inner = 0;
    for (const line of stats.split('\n')) {
      const m = /^cmdstat_([a-z|]+):calls=\d+,usec=(\d+)/.exec(line);
      if (m !== null && !['evalsha', 'eval', 'config', 'info'].includes(m[1]!)) {
        inner += Number(m[2]);
      }
    }
    return {
      evalshaUs: Number(ev[2]) / calls,
      commandsUs: inner / calls,
      cpuUs: (cpu * 1e6) / MEASURED,
    };
  } finally {
    await dropKeysWithPrefix(redis, keyPrefix);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const trees = {
  before: await load(beforeDir),
  after: await load(new URL('../..', import.meta.url).pathname),
};
// A client per tree: a store defines its script on its client once, so two trees sharing one
// client would both run the script of the first.
const clients = { before: connect(), after: connect() };
const got: Record<'before' | 'after', Measured[]> = { before: [], after: [] };
for (let r = 0; r < rounds; r++) {
  for (const side of ['before', 'after'] as const) {
    const m = await measure(trees[side], clients[side], r);
    got[side].push(m);
    process.stderr.write(
      `[velocity-ab] round ${r + 1}/${rounds} ${side}: EVALSHA ${m.evalshaUs.toFixed(1)} µs/call (its commands ${m.commandsUs.toFixed(1)}), Redis CPU ${m.cpuUs.toFixed(1)} µs/tx\n`,
    );
  }
}
for (const key of ['evalshaUs', 'commandsUs', 'cpuUs'] as const) {
  const b = median(got.before.map((m) => m[key]));
  const a = median(got.after.map((m) => m[key]));
  console.log(
    `${key}: median before ${b.toFixed(1)}, after ${a.toFixed(1)}; after/before ${(a / b).toFixed(2)}`,
  );
}
redis.disconnect();
clients.before.disconnect();
clients.after.disconnect();
