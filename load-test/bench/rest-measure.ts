import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { simulatorFeed } from '../simulator/feed.ts';
import type { LoadResult } from './http-load.ts';
import { runHttpLoad } from './http-load.ts';
import { runOpenLoop } from './open-loop.ts';
import { cpuSeconds, redisCpuSeconds } from './cpu.ts';
import { startServer } from './processes.ts';
import type { Decisions } from './decisions.ts';
import { decisionsBetween, decisionsOf, progress } from './decisions.ts';

export const SERVICE = new URL('../../src/main.ts', import.meta.url).pathname;
export const CEILING = new URL('./ceiling-server.ts', import.meta.url).pathname;

/** Request bodies: the simulator's traffic (load-test/simulator), new ids for every run. */
export function bodies(): () => string {
  const next = simulatorFeed({ seed: 7, runId: `bench-${randomUUID().slice(0, 8)}` });
  return () => JSON.stringify(next());
}

/** A load result with where the CPU went: the server process and Redis, per answered request. */
export interface Measured extends LoadResult {
  serverCpuUs: number;
  /** Summed over `redisNodes`. */
  redisCpuUs: number;
  /** Per node of `redisNodes`, in their order. */
  redisCpuUsPerNode: number[];
  /** Decisions of the measured run (warm-up excluded). */
  decisions: Decisions;
}

export interface RestMeasureOptions {
  /** The server's environment (ports and the log level are set here). */
  env: Record<string, string>;
  /** The Redis servers whose CPU time is the run's (one, or a cluster's masters). */
  redisNodes: Redis[];
  connections: number;
  durationSeconds: number;
  /** Open loop at this many requests/s; unset: closed loop at `connections`. */
  rate?: number;
  log: (msg: string) => void;
  label: string;
}

/**
 * Starts `script` in its own process, warms it up for 2 s, drives it for the run and reads
 * the CPU time of the server process and of each Redis over exactly the measured run.
 */
export async function measureRest(script: string, o: RestMeasureOptions): Promise<Measured> {
  const server = await startServer(script, {
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    LOG_LEVEL: 'info',
    ...o.env,
  });
  const redisCpu = (): Promise<number[]> => Promise.all(o.redisNodes.map(redisCpuSeconds));
  try {
    // A short warm-up lets the JIT compile the hot path before the measured run.
    await runHttpLoad({
      url: server.url,
      connections: o.connections,
      durationSeconds: 2,
      body: bodies(),
    });
    const pid = server.process.pid ?? 0;
    const before = await decisionsOf(server.url, 'rest');
    // The bodies are simulated before the clock starts.
    const body = bodies();
    const [server0, redis0] = [cpuSeconds(pid), await redisCpu()];
    const done = progress(o.log, o.label, o.durationSeconds);
    const r = await (
      o.rate !== undefined
        ? runOpenLoop({ url: server.url, rate: o.rate, durationSeconds: o.durationSeconds, body })
        : runHttpLoad({
            url: server.url,
            connections: o.connections,
            durationSeconds: o.durationSeconds,
            body,
          })
    ).finally(done);
    const perRequest = (seconds: number): number => (seconds / r.requests) * 1e6;
    const serverCpuUs = perRequest(cpuSeconds(pid) - server0);
    const redis1 = await redisCpu();
    const redisCpuUsPerNode = redis1.map((c, i) => perRequest(c - redis0[i]!));
    const after = await decisionsOf(server.url, 'rest');
    return {
      ...r,
      serverCpuUs,
      redisCpuUs: redisCpuUsPerNode.reduce((a, b) => a + b, 0),
      redisCpuUsPerNode,
      decisions: decisionsBetween(before, after),
    };
  } finally {
    await server.stop();
  }
}
