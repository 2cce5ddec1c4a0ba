/**
 * Redis cost of the velocity scripts, on one Redis and on a Redis Cluster, for the same
 * transactions: CPU per transaction (INFO cpu, user + system) and script time (INFO
 * commandstats) of each master, and throughput with `CONCURRENCY` transactions in flight. For
 * sizing a deployment, not for a pass/fail.
 *
 *   node load-test/bench/velocity-shards.ts
 *
 * Environment: REDIS_URL and REDIS_CLUSTER_NODES (the local services'), BENCH_TRANSACTIONS
 * (20000), BENCH_CONCURRENCY (64). It resets the command statistics of those servers
 * (CONFIG RESETSTAT): point it at servers of its own, or where nobody reads them.
 */
import { Cluster, Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import { createRedisVelocityStore } from '../../src/adapters/redis/redis-velocity-store.ts';
import { loadConfig } from '../../src/app/config.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import { redisCpuSeconds } from './cpu.ts';

const transactions = Number(process.env.BENCH_TRANSACTIONS ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
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

interface Row {
  target: string;
  txPerSecond: number;
  cpuUsPerTx: number;
  scriptUsPerTx: number;
  perMaster: string[];
}

async function scriptUsec(node: Redis): Promise<number> {
  const info = await node.info('commandstats');
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=\d+,usec=(\d+)/gm)) {
    usec += Number(m[1]);
  }
  return usec;
}

async function run(target: string, client: Redis | Cluster, masters: Redis[]): Promise<Row> {
  const keyPrefix = `bench-shards:${Date.now()}:`;
  const store = createRedisVelocityStore({ redis: client, keyPrefix });
  for (const m of masters) await m.config('RESETSTAT');
  const cpu0 = await Promise.all(masters.map(redisCpuSeconds));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < transactions) await store.record(tx(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = await Promise.all(masters.map(redisCpuSeconds));
  const usec = await Promise.all(masters.map(scriptUsec));
  const cpu = cpu1.map((c, i) => c - cpu0[i]!);
  await dropKeysWithPrefix(client, keyPrefix);
  return {
    target,
    txPerSecond: Math.round(transactions / seconds),
    cpuUsPerTx: Math.round((cpu.reduce((a, b) => a + b, 0) * 1e6) / transactions),
    scriptUsPerTx: Math.round(usec.reduce((a, b) => a + b, 0) / transactions),
    perMaster: masters.map(
      (m, i) =>
        `${m.options.port}: ${Math.round((cpu[i]! * 1e6) / transactions)} µs CPU, ` +
        `${Math.round(usec[i]! / transactions)} µs scripts`,
    ),
  };
}

const rows: Row[] = [];
const one = new Redis(redisUrl, { enableAutoPipelining: true });
rows.push(await run('one Redis', one, [one]));
one.disconnect();

if (clusterNodes !== undefined && clusterNodes !== '') {
  const nodes = loadConfig({ REDIS_CLUSTER_NODES: clusterNodes }).REDIS_CLUSTER_NODES ?? [];
  const cluster = new Cluster(nodes, { enableAutoPipelining: true, scaleReads: 'master' });
  await cluster.ping();
  rows.push(await run('Redis Cluster', cluster, cluster.nodes('master')));
  cluster.disconnect();
}

console.log(
  `${transactions} transactions with 5 entities each, ${concurrency} in flight, one client process`,
);
for (const r of rows) {
  console.log(
    `${r.target}: ${r.txPerSecond} tx/s, Redis CPU ${r.cpuUsPerTx} µs/tx ` +
      `(scripts ${r.scriptUsPerTx} µs/tx); per master: ${r.perMaster.join('; ')}`,
  );
}
