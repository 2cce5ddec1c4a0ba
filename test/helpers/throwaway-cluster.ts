import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { waitFor } from './fakes.ts';

const run = promisify(execFile);

export interface NodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | null;
  failed: boolean;
  slots: string[];
}

/**
 * A Redis Cluster of its own (3 masters, one replica each) on free loopback ports, in a
 * temporary directory, for a test that kills nodes: the shared cluster of scripts/services.sh is
 * left alone. Short node timeout (1 s), so a failover takes a few seconds.
 */
export interface ThrowawayCluster {
  /** `host:port,...` of every node, as REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  /** The cluster as one node sees it (CLUSTER NODES). */
  view(fromPort?: number): Promise<NodeInfo[]>;
  /** The port of the master serving `key`'s slot. */
  masterOf(key: string): Promise<number>;
  /** SIGKILL of one node's process. */
  kill(port: number): void;
  /** Starts a killed node again, with its nodes.conf: it rejoins (as a replica, once failed over). */
  restart(port: number): Promise<void>;
  /** Every node answers and agrees: cluster_state ok, 3 healthy masters, 3 healthy replicas. */
  healthy(fromPort?: number): Promise<boolean>;
  stop(): Promise<void>;
}

const NODE_TIMEOUT_MS = 1000;

/** A port p such that p and p + 10000 (its cluster bus) are free now. */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (taken.has(p) || taken.has(p + 10000)) continue;
    if ((await canListen(p)) && (await canListen(p + 10000))) return p;
  }
  throw new Error('no free port pair for a throwaway cluster node');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function ask(port: number, ...args: string[]): Promise<string> {
  const r = new Redis(port, '127.0.0.1', {
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return String(await r.call(args[0]!, ...args.slice(1)));
  } finally {
    r.disconnect();
  }
}

function parseNodes(text: string): NodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', addr = '', flags = '', master = '', , , , , ...slots] = line
        .trim()
        .split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(addr)?.[1]),
        role: flagList.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? null : master,
        failed: flagList.some((f) => f === 'fail' || f === 'fail?'),
        slots,
      };
    });
}

export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'risk-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) {
    const p = await freePortPair(taken);
    taken.add(p).add(p + 10000);
    ports.push(p);
  }
  const procs = new Map<number, ChildProcess>();
  const start = (port: number): void => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(NODE_TIMEOUT_MS),
        '--save',
        '',
        '--appendonly',
        'no',
        // A full synchronisation starts at once (by default it waits 5 s for more replicas).
        '--repl-diskless-sync-delay',
        '0',
        '--dir',
        dir,
        '--logfile',
        join(dir, `${port}.log`),
      ],
      { stdio: 'ignore' },
    );
    procs.set(port, child);
  };
  const answers = async (port: number): Promise<boolean> =>
    (await ask(port, 'PING').catch(() => '')) === 'PONG';

  const view = async (fromPort?: number): Promise<NodeInfo[]> => {
    const from = fromPort ?? ports.find((p) => procs.get(p)?.exitCode === null) ?? ports[0]!;
    return parseNodes(await ask(from, 'CLUSTER', 'NODES'));
  };
  const healthy = async (fromPort?: number): Promise<boolean> => {
    try {
      for (const p of ports) {
        if (!(await answers(p))) return false;
        if (!/cluster_state:ok/.test(await ask(p, 'CLUSTER', 'INFO'))) return false;
      }
      const nodes = await view(fromPort);
      const ok = nodes.filter((n) => !n.failed);
      // A replica can take over only once it has synchronised with its master.
      for (const n of ok.filter((x) => x.role === 'replica')) {
        if (!/master_link_status:up/.test(await ask(n.port, 'INFO', 'replication'))) return false;
      }
      return (
        ok.length === 6 &&
        ok.filter((n) => n.role === 'master' && n.slots.length > 0).length === 3 &&
        ok.filter((n) => n.role === 'replica').length === 3
      );
    } catch {
      return false;
    }
  };

  const cluster: ThrowawayCluster = {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    view,
    healthy,
    async masterOf(key) {
      const slot = Number(await ask(ports[0]!, 'CLUSTER', 'KEYSLOT', key));
      const owner = (await view()).find(
        (n) =>
          n.role === 'master' &&
          !n.failed &&
          n.slots.some((r) => {
            const [lo = '', hi = lo] = r.split('-');
            return slot >= Number(lo) && slot <= Number(hi);
          }),
      );
      if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
      return owner.port;
    },
    kill(port) {
      procs.get(port)?.kill('SIGKILL');
    },
    async restart(port) {
      const old = procs.get(port);
      if (old !== undefined && old.exitCode === null && old.signalCode === null) {
        await new Promise((r) => old.once('exit', r));
      }
      start(port);
      await waitFor(() => answers(port), 20_000, `node ${port} answers again`);
    },
    async stop() {
      for (const child of procs.values()) child.kill('SIGKILL');
      await Promise.all(
        [...procs.values()].map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? Promise.resolve()
            : new Promise((r) => c.once('exit', r)),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const p of ports) start(p);
    for (const p of ports) await waitFor(() => answers(p), 20_000, `node ${p} answers PING`);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    await waitFor(
      () => healthy(),
      60_000,
      'the throwaway cluster is ok with 3 masters and 3 replicas',
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
