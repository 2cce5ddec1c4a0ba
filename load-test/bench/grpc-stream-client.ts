/**
 * Load generator for ScoreStream, run by grpc-bench.ts in a process of its own (so that it gets
 * a core of its own, as autocannon and ghz do): opens `--streams` bidirectional streams, each on
 * its own connection, keeps up to `--window` generated transactions in flight per stream for
 * `--seconds`, matches every answer to its request by transaction_id, and prints one JSON line:
 * {requests, throughput, p50Ms, p99Ms, p999Ms, errors, degraded}.
 *
 *   node load-test/bench/grpc-stream-client.ts --target 127.0.0.1:50051 --seconds 10
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ClientDuplexStream, MethodDefinition, StatusObject } from '@grpc/grpc-js';
import { Client, credentials, status } from '@grpc/grpc-js';
import * as hdr from 'hdr-histogram-js';
import type { ProtoScoreStreamResponse, ProtoTransaction } from '../../src/api/grpc/messages.ts';
import { transactionToProto } from '../../src/api/grpc/messages.ts';
import { RISK_SERVICE_NAME, loadServicePackage } from '../../src/api/grpc/proto.ts';
import { simulatorFeed } from '../simulator/feed.ts';
import type { LoadResult } from './http-load.ts';

export interface StreamLoadResult extends Omit<LoadResult, 'non2xx'> {
  /** Error items, answers that match no request, requests never answered, failed streams. */
  errors: number;
  /** Answers scored in degraded mode (e.g. Redis too slow): counted, but not errors. */
  degraded: number;
}

type ScoreCall = ClientDuplexStream<ProtoTransaction, ProtoScoreStreamResponse>;

/** How long the answers still in flight at the end of the run may take before they count as lost. */
const DRAIN_MS = 5000;

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    streams: { type: 'string', default: '4' },
    window: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '10' },
    'id-prefix': { type: 'string', default: `stream-${randomUUID().slice(0, 8)}` },
    seed: { type: 'string', default: '7' },
  },
});
if (args.target === undefined) throw new Error('--target host:port is required');
const target = args.target;
const streams = Number(args.streams);
const inFlightPerStream = Number(args.window);
const durationMs = Number(args.seconds) * 1000;

type ScoreStreamMethod = MethodDefinition<ProtoTransaction, ProtoScoreStreamResponse>;
const service = loadServicePackage()[RISK_SERVICE_NAME] as Record<string, ScoreStreamMethod>;
const scoreStream = service.ScoreStream;
if (scoreStream === undefined) throw new Error(`${RISK_SERVICE_NAME} has no ScoreStream`);
const method: ScoreStreamMethod = scoreStream;

const next = simulatorFeed({ seed: Number(args.seed), runId: args['id-prefix'] ?? 'stream' });
const latencyUs = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
let errors = 0;
let degraded = 0;

/** A client with a connection of its own (a local subchannel pool), once it is connected. */
async function connect(): Promise<Client> {
  const client = new Client(target, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  return client;
}

/** Runs one stream until the duration is over and every request sent on it is answered. */
function runStream(client: Client, sendUntil: number): Promise<void> {
  const call: ScoreCall = client.makeBidiStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
  );
  const sentAt = new Map<string, number>();
  let ended = false;

  const send = (): void => {
    if (ended || performance.now() >= sendUntil) {
      if (!ended) {
        ended = true;
        call.end();
      }
      return;
    }
    const tx = next();
    sentAt.set(tx.transaction_id, performance.now());
    // The window bounds what is outstanding; the transport buffers the rest of a burst.
    call.write(transactionToProto(tx));
  };

  call.on('data', (item: ProtoScoreStreamResponse) => {
    const t0 = sentAt.get(item.transaction_id ?? '');
    if (t0 === undefined || item.result !== 'response') {
      errors += 1;
    } else {
      latencyUs.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      if (item.response?.degraded) degraded += 1;
    }
    if (t0 !== undefined) sentAt.delete(item.transaction_id ?? '');
    send();
  });

  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = (s: StatusObject | undefined): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      if (s !== undefined && s.code !== status.OK) errors += 1;
      // Whatever was sent and not answered is lost.
      errors += sentAt.size;
      sentAt.clear();
      client.close();
      resolve();
    };
    const deadline = setTimeout(() => {
      call.cancel();
      finish(undefined);
    }, durationMs + DRAIN_MS);
    call.on('status', finish);
    // A failed call also emits 'status'; the listener only keeps the error from being thrown.
    call.on('error', () => undefined);
    for (let i = 0; i < inFlightPerStream; i++) send();
  });
}

// Connecting is not part of the measurement.
const clients = await Promise.all(Array.from({ length: streams }, connect));
const started = performance.now();
await Promise.all(clients.map((client) => runStream(client, started + durationMs)));
const elapsedSeconds = (performance.now() - started) / 1000;
const answered = latencyUs.totalCount;
const result: StreamLoadResult = {
  requests: answered,
  throughput: answered / elapsedSeconds,
  p50Ms: latencyUs.getValueAtPercentile(50) / 1000,
  p99Ms: latencyUs.getValueAtPercentile(99) / 1000,
  p999Ms: latencyUs.getValueAtPercentile(99.9) / 1000,
  errors,
  degraded,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
