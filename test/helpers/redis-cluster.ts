import { Cluster } from 'ioredis';
import type { ClusterNode } from '../../src/app/config.ts';
import { loadConfig } from '../../src/app/config.ts';

/**
 * The Redis Cluster that `scripts/services.sh up` starts (REDIS_CLUSTER_NODES, exported by
 * `services.sh env`). Locally, without it, the cluster tests are skipped with this reason; in CI
 * (`CI=true`) a missing cluster fails them instead, as a missing Redis fails the Redis tests.
 */
export const TEST_REDIS_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES;

const MISSING =
  'REDIS_CLUSTER_NODES is not set: run `bash scripts/services.sh up` and ' +
  '`eval "$(bash scripts/services.sh env)"` to run the Redis Cluster tests';

/** `{ skip }` for describe()/test() when there is no cluster locally; throws in CI. */
export function clusterOrSkip(): { skip?: string } {
  if (TEST_REDIS_CLUSTER_NODES !== undefined && TEST_REDIS_CLUSTER_NODES !== '') return {};
  if (process.env.CI === 'true') throw new Error(`${MISSING} (required in CI)`);
  return { skip: MISSING };
}

/** The nodes of a `host:port,...` list, read as the service reads REDIS_CLUSTER_NODES. */
export function parseClusterNodes(list: string): ClusterNode[] {
  const nodes = loadConfig({ REDIS_CLUSTER_NODES: list }).REDIS_CLUSTER_NODES;
  if (nodes === undefined) throw new Error('no cluster nodes');
  return nodes;
}

/** A cluster client that fails fast instead of retrying forever. */
export function connectTestCluster(list = TEST_REDIS_CLUSTER_NODES ?? ''): Cluster {
  return new Cluster(parseClusterNodes(list), {
    redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 2000 },
    scaleReads: 'master',
    clusterRetryStrategy: (times) => (times > 10 ? null : 200),
  });
}
