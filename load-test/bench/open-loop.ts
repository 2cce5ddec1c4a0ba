import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { LoadResult } from './http-load.ts';

export interface OpenLoopOptions {
  url: string;
  path?: string;
  /** Requests per second, sent at evenly spaced times whatever the answers do. */
  rate: number;
  durationSeconds: number;
  body: () => string;
  /** Connections kept open; requests beyond them wait in the agent's queue (and that counts). */
  connections?: number;
}

/**
 * A constant-arrival-rate load: request i is due at start + i / rate and its latency is measured
 * from that due time, so a slow answer cannot hold back the next requests and hide its cost
 * (no coordinated omission). autocannon's rate option instead lets each connection send its
 * share of every second as fast as it can at the top of the second, which measures bursts.
 */
export async function runOpenLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const target = new URL(o.path ?? '/v1/score', o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections ?? 64 });
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const total = Math.round(o.rate * o.durationSeconds);
  const intervalMs = 1000 / o.rate;
  let sent = 0;
  let done = 0;
  let errors = 0;
  let non2xx = 0;

  const send = (due: number): void => {
    const payload = o.body();
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300)
            hist.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)));
          else non2xx += 1;
          done += 1;
        });
      },
    );
    req.on('error', () => {
      errors += 1;
      done += 1;
    });
    req.end(payload);
  };

  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) {
        send(start + sent * intervalMs);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Answers still out get 10 s; whatever has not come back by then counts as an error.
  const deadline = performance.now() + 10_000;
  while (done < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  errors += sent - done;
  agent.destroy();
  return {
    requests: hist.totalCount,
    throughput: hist.totalCount / o.durationSeconds,
    p50Ms: hist.getValueAtPercentile(50) / 1000,
    p99Ms: hist.getValueAtPercentile(99) / 1000,
    p999Ms: hist.getValueAtPercentile(99.9) / 1000,
    errors,
    non2xx,
  };
}
