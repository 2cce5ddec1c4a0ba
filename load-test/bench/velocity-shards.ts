/**
 * Redis cost of the velocity scripts, on one Redis and on a Redis Cluster, for the same
 * transactions: CPU per transaction (INFO cpu, user + system) and script time (INFO
 * commandstats) of each master, the commands the scripts spend it on (INFO commandstats: µs per
 * transaction and calls per transaction, top first), and throughput with `CONCURRENCY`
 * transactions in flight, measured over `BENCH_TRANSACTIONS` transactions after as many unmeasured
 * ones on the same keys (a steady stream, not key creation). Each target runs the baseline (the previous design,
 * load-test/bench/velocity-baseline/) and the current store in turn, `BENCH_ROUNDS` times, so
 * that their ratio holds on a busy machine: each round's ratio is printed, and the range over
 * rounds. For sizing a deployment, not for a pass/fail.
 *
 *   node load-test/bench/velocity-shards.ts
 *
 * Environment: REDIS_URL and REDIS_CLUSTER_NODES (the local services'), BENCH_TRANSACTIONS
 * (20000), BENCH_CONCURRENCY (64), BENCH_ROUNDS (3). It resets the command statistics of those servers
 * (CONFIG RESETSTAT): point it at servers of its own, or where nobody reads them.
 */
import { Cluster, Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import { createRedisVelocityStore } from '../../src/adapters/redis/redis-velocity-store.ts';
import type { VelocityStore } from '../../src/pipeline/velocity-store.ts';
import { loadConfig } from '../../src/app/config.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import { redisCpuSeconds } from './cpu.ts';
import { createBaselineVelocityStore } from './velocity-baseline/redis-velocity-store.ts';

const transactions = Number(process.env.BENCH_TRANSACTIONS ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6380';
const clusterNodes = process.env.REDIS_CLUSTER_NODES;

/** A card-present stream with every entity: 5 scripts per transaction. */
function tx(i: number): Transaction {
  return {
    transaction_id: `bench-${i}`,
    timestamp: new Date(Date.UTC(2024, 0, 15) + i * 50).toISOString(),
    amount: 5 + (i % 97),
    currency: 'USD',
    account_id: `acct-${i % 5000}`,
    card_id: `card-${i % 7000}`,
    device_id: `dev-${i % 6000}`,
    ip: `10.0.${(i >> 8) % 40}.${i % 256}`,
    merchant_id: `merch-${i % 400}`,
    location: 'US',
  };
}

const DESIGNS: Record<string, (client: Redis | Cluster, keyPrefix: string) => VelocityStore> = {
  baseline: (redis, keyPrefix) => createBaselineVelocityStore({ redis, keyPrefix }),
  current: (redis, keyPrefix) => createRedisVelocityStore({ redis, keyPrefix }),
};

interface Row {
  target: string;
  design: string;
  round: number;
  txPerSecond: number;
  cpuUsPerTx: number;
  scriptUsPerTx: number;
  perMaster: string[];
  /** Commands run inside the scripts, all masters together: µs and calls per transaction. */
  top: string;
}

/** INFO commandstats of one server: calls and µs by command name. */
async function commandStats(node: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await node.info('commandstats');
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
    out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval']);

async function run(
  target: string,
  design: string,
  round: number,
  client: Redis | Cluster,
  masters: Redis[],
): Promise<Row> {
  const keyPrefix = `bench-shards:${Date.now()}:`;
  const store = DESIGNS[design]!(client, keyPrefix);
  // Warm-up, not measured: the same keys' first transactions (their keys created), so that the
  // measured ones are a steady stream on existing keys, as in production.
  let warm = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (warm < transactions) await store.record(tx(warm++));
    }),
  );
  for (const m of masters) await m.config('RESETSTAT');
  const cpu0 = await Promise.all(masters.map(redisCpuSeconds));
  let next = transactions;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < 2 * transactions) await store.record(tx(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = await Promise.all(masters.map(redisCpuSeconds));
  const stats = await Promise.all(masters.map(commandStats));
  const usec = stats.map((st) =>
    [...st].reduce((a, [name, v]) => a + (SCRIPT_COMMANDS.has(name) ? v.usec : 0), 0),
  );
  const byCommand = new Map<string, { calls: number; usec: number }>();
  for (const st of stats) {
    for (const [name, v] of st) {
      if (SCRIPT_COMMANDS.has(name) || name === 'info' || name === 'config') continue;
      const sum = byCommand.get(name) ?? { calls: 0, usec: 0 };
      byCommand.set(name, { calls: sum.calls + v.calls, usec: sum.usec + v.usec });
    }
  }
  const top = [...byCommand]
    .sort((a, b) => b[1].usec - a[1].usec)
    .slice(0, 8)
    .map(
      ([name, v]) =>
        `${name} ${(v.usec / transactions).toFixed(1)} µs ${(v.calls / transactions).toFixed(1)}×`,
    )
    .join(', ');
  const cpu = cpu1.map((c, i) => c - cpu0[i]!);
  await dropKeysWithPrefix(client, keyPrefix);
  return {
    target,
    design,
    round,
    txPerSecond: Math.round(transactions / seconds),
    cpuUsPerTx: Math.round((cpu.reduce((a, b) => a + b, 0) * 1e6) / transactions),
    scriptUsPerTx: Math.round(usec.reduce((a, b) => a + b, 0) / transactions),
    perMaster: masters.map(
      (m, i) =>
        `${m.options.port}: ${Math.round((cpu[i]! * 1e6) / transactions)} µs CPU, ` +
        `${Math.round(usec[i]! / transactions)} µs scripts`,
    ),
    top,
  };
}

const rows: Row[] = [];
const one = new Redis(redisUrl, { enableAutoPipelining: true });
for (let r = 1; r <= rounds; r++) {
  for (const design of Object.keys(DESIGNS))
    rows.push(await run('one Redis', design, r, one, [one]));
}
one.disconnect();

if (clusterNodes !== undefined && clusterNodes !== '') {
  const nodes = loadConfig({ REDIS_CLUSTER_NODES: clusterNodes }).REDIS_CLUSTER_NODES ?? [];
  const cluster = new Cluster(nodes, { enableAutoPipelining: true, scaleReads: 'master' });
  await cluster.ping();
  for (let r = 1; r <= rounds; r++) {
    for (const design of Object.keys(DESIGNS)) {
      rows.push(await run('Redis Cluster', design, r, cluster, cluster.nodes('master')));
    }
  }
  cluster.disconnect();
}

console.log(
  `${transactions} transactions with 5 entities each, ${concurrency} in flight, one client process`,
);
for (const r of rows) {
  const base = rows.find(
    (b) => b.target === r.target && b.round === r.round && b.design === 'baseline',
  );
  const ratio =
    base !== undefined ? ` (${(r.cpuUsPerTx / base.cpuUsPerTx).toFixed(2)}× baseline)` : '';
  console.log(
    `${r.target}, round ${r.round}, ${r.design}: ${r.txPerSecond} tx/s, Redis CPU ${r.cpuUsPerTx} µs/tx${ratio} ` +
      `(scripts ${r.scriptUsPerTx} µs/tx); per master: ${r.perMaster.join('; ')}`,
  );
  console.log(`  top commands per tx: ${r.top}`);
}
const range = (xs: number[]): string =>
  xs.length === 0 ? '-' : `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
for (const target of new Set(rows.map((r) => r.target))) {
  const of = (design: string) => rows.filter((r) => r.target === target && r.design === design);
  const ratios = of('current').map(
    (c) => c.cpuUsPerTx / of('baseline').find((b) => b.round === c.round)!.cpuUsPerTx,
  );
  const us = (design: string) => of(design).map((r) => r.cpuUsPerTx);
  console.log(
    `${target}: Redis CPU µs/tx baseline ${Math.min(...us('baseline'))}–` +
      `${Math.max(...us('baseline'))}, current ${Math.min(...us('current'))}–` +
      `${Math.max(...us('current'))}; current / baseline ${range(ratios)}`,
  );
}
