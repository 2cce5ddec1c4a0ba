import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../../src/adapters/redis/drop-prefix.ts';
import type { BenchSection, ServiceBenchOptions } from './report.ts';
import { decisionMix } from './decisions.ts';
import type { Measured } from './rest-measure.ts';
import { SERVICE, measureRest } from './rest-measure.ts';

export interface ClusterBenchOptions extends ServiceBenchOptions {
  /** A client of the one Redis (REDIS_URL). */
  redis: Redis;
  /** `host:port,…` of the Redis Cluster (REDIS_CLUSTER_NODES). */
  clusterNodes: string;
}

/** The runs the sizing table (targets.ts) reads. */
export interface ClusterFigures {
  one: Measured;
  cluster: Measured;
  masters: string[];
}

/** Script calls and their time on a Redis so far (INFO commandstats: EVALSHA, EVAL, FCALL). */
async function scriptStats(node: Redis): Promise<{ calls: number; usec: number }> {
  const info = await node.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval|fcall):calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(m[1]);
    usec += Number(m[2]);
  }
  return { calls, usec };
}

function parseNodes(list: string): Array<{ host: string; port: number }> {
  return list.split(',').map((hp) => {
    const m = /^([\w.-]+):(\d+)$/.exec(hp.trim());
    if (m === null) throw new Error(`REDIS_CLUSTER_NODES: "${hp}" is not host:port`);
    return { host: m[1]!, port: Number(m[2]) };
  });
}

/**
 * The same REST traffic with velocity and idempotency on one Redis and on the Redis Cluster
 * (the service's embedded store for the rest, so that only Redis differs): throughput, service
 * CPU, and each Redis master's CPU and script time per transaction, for sizing a deployment.
 */
export async function clusterBench(
  o: ClusterBenchOptions,
): Promise<{ sections: BenchSection[]; figures: ClusterFigures }> {
  const cluster = new Cluster(parseNodes(o.clusterNodes), { scaleReads: 'master' });
  await cluster.ping();
  // Fresh connections to each master, in port order, so that rows read the same way every run.
  const masters = cluster
    .nodes('master')
    .map((n) => ({ host: n.options.host ?? '127.0.0.1', port: n.options.port ?? 0 }))
    .sort((a, b) => a.port - b.port)
    .map((n) => new Redis({ ...n, maxRetriesPerRequest: 1 }));
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  try {
    const base = { RULES_ENGINE: 'compiled', REDIS_KEY_PREFIX: prefix };
    const shared = {
      connections: o.connections,
      durationSeconds: o.durationSeconds,
      log: o.log,
      label: 'service',
    };
    o.log('cluster section: REST scoring with velocity on one Redis');
    const one = await measureRest(SERVICE, {
      ...shared,
      env: { ...base, ...o.redisOnlyEnv(), REDIS_URL: o.redisUrl },
      redisNodes: [o.redis],
    });
    const scripts0 = await Promise.all(masters.map(scriptStats));
    o.log(`cluster section: the same on the Redis Cluster (${masters.length} masters)`);
    const onCluster = await measureRest(SERVICE, {
      ...shared,
      env: { ...base, ...o.redisOnlyEnv(), REDIS_CLUSTER_NODES: o.clusterNodes },
      redisNodes: masters,
    });
    const scripts1 = await Promise.all(masters.map(scriptStats));
    const names = masters.map((m) => `${m.options.host}:${m.options.port}`);
    const perShard = masters.map((_, i) => {
      const calls = scripts1[i]!.calls - scripts0[i]!.calls;
      const usec = scripts1[i]!.usec - scripts0[i]!.usec;
      return [
        `master ${names[i]}`,
        Math.round(onCluster.redisCpuUsPerNode[i]! * onCluster.throughput).toLocaleString('en-US') +
          ' µs/s',
        Number(onCluster.redisCpuUsPerNode[i]!.toFixed(1)),
        Number((calls / onCluster.requests).toFixed(2)),
        Number((usec / onCluster.requests).toFixed(1)),
      ];
    });
    const row = (name: string, r: Measured): Array<string | number> => [
      name,
      Math.round(r.throughput),
      r.p50Ms,
      r.p99Ms,
      r.errors + r.non2xx,
      Math.round(r.serverCpuUs),
      Number(r.redisCpuUs.toFixed(1)),
      decisionMix(r.decisions),
    ];
    const sections: BenchSection[] = [
      {
        title: `Scaling: velocity on one Redis vs a ${masters.length}-master Redis Cluster`,
        method:
          `The REST closed loop (${o.connections} connections, ${o.durationSeconds} s after a 2 s ` +
          "warm-up, the simulator's stream) with velocity and idempotency on one Redis " +
          `(REDIS_URL) and then on the Redis Cluster (REDIS_CLUSTER_NODES, ${masters.length} ` +
          'masters with a replica each); rules, windows and flags in the embedded store, so that ' +
          'only Redis differs. Redis CPU from INFO cpu of each master over the measured run ' +
          '(the whole servers: whatever else ran on them counts too).',
        columns: [
          'velocity on',
          'requests/s',
          'p50 ms',
          'p99 ms',
          'errors',
          'service CPU µs/request',
          'Redis CPU µs/tx (all masters)',
          'approve / review / decline',
        ],
        rows: [row('one Redis', one), row(`Redis Cluster, ${masters.length} masters`, onCluster)],
        notes: [
          'All Redis processes (the cluster has six), the service and the load generator share ' +
            "this machine's 2 cores, so the cluster's throughput here is bound by the service and " +
            'the cores, not by Redis: the per-shard CPU below is what sizes Redis.',
        ],
      },
      {
        title: 'Scaling: Redis CPU per shard (cluster run)',
        method:
          'Per master of the cluster run above: CPU (INFO cpu, user + sys) per second of the run ' +
          'and per transaction, and the velocity scripts (INFO commandstats: EVALSHA/EVAL/FCALL) ' +
          'called per transaction and their time.',
        columns: [
          'shard',
          'CPU per second of the run',
          'CPU µs/tx',
          'script calls/tx',
          'script µs/tx',
        ],
        rows: perShard,
      },
    ];
    return { sections, figures: { one, cluster: onCluster, masters: names } };
  } finally {
    await dropKeysWithPrefix(cluster, prefix).catch(() => 0);
    for (const m of masters) m.disconnect();
    cluster.disconnect();
  }
}
