import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { RISK_PROTO_FILE, RISK_SERVICE_NAME, findProtoRoot } from '../../src/api/grpc/proto.ts';
import { simulatorFeed } from '../simulator/feed.ts';
import type { StreamLoadResult } from './grpc-stream-client.ts';
import type { LoadResult } from './http-load.ts';
import { cpuSeconds } from './cpu.ts';
import { startServer } from './processes.ts';
import type { BenchSection, ServiceBenchOptions } from './report.ts';
import type { Decisions } from './decisions.ts';
import { decisionMix, decisionsBetween, decisionsOf, progress } from './decisions.ts';

export type GrpcBenchOptions = ServiceBenchOptions;

type GrpcLoadResult = Omit<LoadResult, 'non2xx'>;

interface CpuUse {
  /** The service process's CPU time per answered call, µs. */
  serviceCpuUsPerCall: number;
  /** The load generator's CPU time over the run's wall time, in cores. */
  clientCores: number;
  /** Decisions of the measured run (gRPC, warm-up excluded), from the service's metrics. */
  decisions: Decisions;
}
type Measured = GrpcLoadResult & CpuUse;

/** The runs the targets table (targets.ts) reads: ScoreStream at REST's concurrency. */
export interface GrpcFigures {
  unary: Measured;
  stream: { name: string; result: Measured };
}

const run = promisify(execFile);
const SERVICE = new URL('../../src/main.ts', import.meta.url).pathname;
const STREAM_CLIENT = new URL('./grpc-stream-client.ts', import.meta.url).pathname;
/**
 * Pinned: the module proxy resolves `@latest` of github.com/bojand/ghz to v0.93.0 (2021),
 * older than the newest tag.
 */
const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz@v0.120.0';
const WARM_UP_SECONDS = 2;
/** ScoreStream shapes: streams × transactions in flight per stream (the server's cap is 64). */
const STREAM_SHAPES = [
  { streams: 4, window: 8 },
  { streams: 4, window: 64 },
];

/** ghz from PATH, GOBIN or GOPATH/bin, installed with `go install` when it is in none of them. */
async function findGhz(log: (msg: string) => void): Promise<string> {
  try {
    await run('ghz', ['--version']);
    return 'ghz';
  } catch {
    // Not on PATH: look where `go install` puts it.
  }
  const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH']);
  const [gobin = '', gopath = ''] = stdout.split('\n').map((s) => s.trim());
  const installed = join(gobin || join(gopath.split(':')[0] ?? '', 'bin'), 'ghz');
  if (existsSync(installed)) return installed;
  log(`ghz not found: go install ${GHZ_MODULE} (downloads and compiles; under a minute here)`);
  await run('go', ['install', GHZ_MODULE], { timeout: 10 * 60_000 });
  log(`ghz installed at ${installed}`);
  return installed;
}

/** Distinct transactions in ghz's call data; request n sends element n mod this. */
const CALL_DATA_SIZE = 10_000;

/**
 * ghz call data: an array of the simulator's transactions (the REST bench's seed and mix), sent
 * round-robin. Each element is a Go template rendered
 * per request: the id becomes `<runId>-{{.RequestNumber}}`, unique for the run, and the event
 * time `{{.Timestamp}}`, now. Template functions are off (--disable-template-functions): ghz
 * registers them anew for every call, and a template that drew the fields with `randomInt` cost
 * ghz about 0.55 ms of CPU per call here against 0.35 ms for this, CPU taken from the service.
 */
export function callData(runId: string, size = CALL_DATA_SIZE): string {
  const next = simulatorFeed({ seed: 7, runId });
  const txs = Array.from({ length: size }, () => ({
    ...next(),
    transaction_id: `${runId}-{{.RequestNumber}}`,
    timestamp: '{{.Timestamp}}',
  }));
  return JSON.stringify(txs);
}

interface GhzReport {
  total: number;
  count: number;
  statusCodeDistribution?: Record<string, number>;
  details?: Array<{ latency: number; error: string }>;
}

/**
 * One ghz run of unary Score, bounded by `-z`; in-flight calls are awaited at the end
 * (`--duration-stop wait`) so that they are not reported as errors. Percentiles come from every
 * call's latency in `details` (ghz's own latencyDistribution stops at p99).
 */
async function runGhz(
  ghz: string,
  target: string,
  o: { connections: number; seconds: number; rps?: number },
): Promise<GrpcLoadResult> {
  const protoRoot = findProtoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'grpc-bench-'));
  const dataFile = join(dir, 'call-data.json');
  writeFileSync(dataFile, callData(`ghz-${randomUUID().slice(0, 8)}`));
  const args = [
    ...['--proto', join(protoRoot, RISK_PROTO_FILE), '--import-paths', protoRoot],
    ...['--call', `${RISK_SERVICE_NAME}/Score`, '--insecure'],
    ...['--connections', String(o.connections), '--concurrency', String(o.connections)],
    ...['--duration', `${o.seconds}s`, '--duration-stop', 'wait', '--timeout', '5s'],
    ...(o.rps !== undefined ? ['--rps', String(o.rps)] : []),
    // One core, like autocannon's single thread: the server and Redis share the other.
    ...['--cpus', '1', '--data-file', dataFile, '--disable-template-functions'],
    ...['--format', 'json', target],
  ];
  let report: GhzReport;
  try {
    const { stdout } = await run(ghz, args, {
      maxBuffer: 512 * 2 ** 20,
      timeout: (o.seconds + 30) * 1000,
    });
    report = JSON.parse(stdout) as GhzReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const d of report.details ?? []) {
    if (d.error === '') hist.recordValue(Math.max(1, Math.round(d.latency / 1000)));
  }
  const ok = report.statusCodeDistribution?.OK ?? 0;
  return {
    requests: ok,
    throughput: ok / (report.total / 1e9),
    p50Ms: hist.getValueAtPercentile(50) / 1000,
    p99Ms: hist.getValueAtPercentile(99) / 1000,
    p999Ms: hist.getValueAtPercentile(99.9) / 1000,
    errors: report.count - ok,
  };
}

/** One run of grpc-stream-client.js in its own process. */
async function runStreamClient(
  target: string,
  o: { streams: number; window: number; seconds: number },
): Promise<StreamLoadResult> {
  const { stdout } = await run(
    process.execPath,
    [
      STREAM_CLIENT,
      ...['--target', target, '--streams', String(o.streams), '--window', String(o.window)],
      ...['--seconds', String(o.seconds), '--id-prefix', `stream-${randomUUID().slice(0, 8)}`],
    ],
    { timeout: (o.seconds + 30) * 1000 },
  );
  return JSON.parse(stdout) as StreamLoadResult;
}

/**
 * Starts the service on a fresh Redis prefix, warms it up, measures, stops it; also measures
 * how much CPU the service and the load generator used, because on 2 cores a costly load
 * generator takes CPU from the service.
 */
async function measure<R extends GrpcLoadResult>(
  o: GrpcBenchOptions,
  load: (target: string, seconds: number) => Promise<R>,
): Promise<R & CpuUse> {
  const server = await startServer(
    SERVICE,
    {
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      REDIS_URL: o.redisUrl,
      REDIS_KEY_PREFIX: `bench:${randomUUID().slice(0, 8)}:`,
      RULES_ENGINE: 'compiled',
      ...o.serviceEnv,
    },
    // main.ts logs the gRPC port after the HTTP one: wait for both.
    /Server listening at (http:\/\/127\.0\.0\.1:\d+)[\s\S]*"grpc_port":\d+/,
  );
  try {
    const port = server.ports.grpc;
    if (port === undefined) throw new Error('the service did not log its gRPC port');
    const target = `127.0.0.1:${port}`;
    await load(target, WARM_UP_SECONDS);
    const pid = server.process.pid ?? 0;
    const before = await decisionsOf(server.url, 'grpc');
    const [service0, client0, wall0] = [cpuSeconds(pid), cpuSeconds('exited children'), now()];
    const done = progress(o.log, 'gRPC', o.durationSeconds);
    const r = await load(target, o.durationSeconds).finally(done);
    const serviceCpuUsPerCall = ((cpuSeconds(pid) - service0) / r.requests) * 1e6;
    const clientCores = (cpuSeconds('exited children') - client0) / (now() - wall0);
    return {
      ...r,
      serviceCpuUsPerCall,
      clientCores,
      decisions: decisionsBetween(before, await decisionsOf(server.url, 'grpc')),
    };
  } finally {
    await server.stop();
  }
}

const now = (): number => performance.now() / 1000;

function row(name: string, r: Measured): Array<string | number> {
  const cpu = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  return [
    name,
    Math.round(r.throughput),
    r.p50Ms,
    r.p99Ms,
    r.p999Ms,
    r.errors,
    cpu(r.serviceCpuUsPerCall, 0),
    cpu(r.clientCores, 2),
    decisionMix(r.decisions),
  ];
}

/**
 * gRPC scoring against real Redis: unary Score driven by ghz, closed loop at REST's concurrency
 * and at a fixed rate, and ScoreStream driven by grpc-stream-client.js.
 */
export async function grpcBench(
  o: GrpcBenchOptions,
): Promise<{ sections: BenchSection[]; figures: GrpcFigures }> {
  const ghz = await findGhz(o.log);
  const c = o.connections;
  o.log(`gRPC unary Score (ghz), ${c} connections × 1 call in flight, ${o.durationSeconds} s`);
  const unary = await measure(o, (target, seconds) =>
    runGhz(ghz, target, { connections: c, seconds }),
  );
  const streams: Array<[string, StreamLoadResult & CpuUse]> = [];
  for (const shape of STREAM_SHAPES) {
    const inFlight = shape.streams * shape.window;
    o.log(`gRPC ScoreStream, ${shape.streams} streams × ${shape.window} in flight`);
    const r = await measure(o, (target, seconds) => runStreamClient(target, { ...shape, seconds }));
    streams.push([
      `ScoreStream, ${shape.streams} streams × ${shape.window} in flight (${inFlight})`,
      r,
    ]);
  }
  o.log(`gRPC unary Score (ghz) at a fixed ${o.fixedRate} requests/s`);
  const fixed = await measure(o, (target, seconds) =>
    runGhz(ghz, target, { connections: c, seconds, rps: o.fixedRate }),
  );

  const columns = [
    'call',
    'requests/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'errors',
    'service CPU µs/call',
    'load generator CPU (cores)',
    'approve / review / decline',
  ];
  const setting =
    `${o.durationSeconds} s after a ${WARM_UP_SECONDS} s warm-up, a fresh service process and Redis ` +
    "prefix per row, each request the next transaction of the simulator's stream; the service runs " +
    'with Redis, PostgreSQL and Kafka on.';
  const sections: BenchSection[] = [
    {
      title: 'gRPC scoring with real Redis, closed loop',
      method:
        `Unary Score: ghz (${GHZ_MODULE.split('@')[1]}, --cpus 1), ${c} connections with one call ` +
        `in flight each, cycling through ${CALL_DATA_SIZE.toLocaleString('en-US')} of the simulator's transactions with a new ` +
        'transaction_id per call. ScoreStream: ' +
        'load-test/bench/grpc-stream-client.ts in its own Node process, one connection per ' +
        `stream, latency from write to the matching answer. ${setting}`,
      columns,
      rows: [row(`unary Score, ${c} in flight`, unary), ...streams.map(([n, r]) => row(n, r))],
      notes: [
        'Throughput counts OK answers over the run, including the wait for the last answers. ' +
          'The service, Redis and the load generator share the 2 cores, so a load generator ' +
          'that needs more CPU per call (last column) leaves less to the service: ghz renders ' +
          'and converts every call from JSON, and decodes every response dynamically.',
        `ghz cycles through its ${CALL_DATA_SIZE.toLocaleString('en-US')} transactions with the wall clock as event time, so ` +
          'the same accounts come back within seconds: velocity rules fire far more often than on ' +
          "the simulator's stream (see the decision mix), and the unary rows score that harder traffic.",
        ...streams
          .filter(([, r]) => r.degraded > 0)
          .map(([n, r]) => `${n}: ${r.degraded} answers were degraded (counted, not errors).`),
      ],
    },
    {
      title: `gRPC unary Score latency at ${o.fixedRate.toLocaleString('en-US')} requests/s`,
      method: `ghz --rps ${o.fixedRate}, ${c} connections, ${setting}`,
      columns,
      rows: [row('unary Score, compiled rules', fixed)],
      notes:
        fixed.throughput < 0.95 * o.fixedRate
          ? [
              `ghz reached ${Math.round(fixed.throughput)} of the ${o.fixedRate} requests/s asked: ` +
                'these latencies are at saturation, and ghz does not count the time a late call ' +
                'waited to be sent.',
            ]
          : [],
    },
  ];
  const first = streams[0];
  if (first === undefined) throw new Error('no ScoreStream shape was measured');
  return { sections, figures: { unary, stream: { name: first[0], result: first[1] } } };
}
