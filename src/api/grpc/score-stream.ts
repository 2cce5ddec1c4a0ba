import type { ServerDuplexStream } from '@grpc/grpc-js';
import { RiskError } from '../../domain/errors.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { ScoreOptions, Scorer } from '../../pipeline/score.ts';
import type { ProtoScoreStreamResponse, ProtoTransaction, TransactionReader } from './messages.ts';
import { scoreResponseToProto } from './messages.ts';
import { readScoreOptions } from './score-options.ts';
import { asRiskError, toScoreError, toStatus } from './status.ts';

/** Transactions of one stream being scored at once; more wait in the transport's buffers. */
export const MAX_IN_FLIGHT_PER_STREAM = 64;

type ScoreCall = ServerDuplexStream<ProtoTransaction, ProtoScoreStreamResponse>;

export interface ScoreStreamOptions {
  score: Scorer;
  read: TransactionReader;
  logger: Logger;
  draining: () => boolean;
  maxInFlight?: number;
}

export interface ScoreStreams {
  handle: (call: ScoreCall) => void;
  /** Stops reading every open stream; each ends with UNAVAILABLE once its answers are out. */
  stopAll(): void;
}

const SHUTTING_DOWN =
  'server is shutting down: resend the transactions that got no answer to another replica';
const shuttingDown = () => toStatus(new RiskError('RISK_ERR_UNAVAILABLE', SHUTTING_DOWN));

/**
 * ScoreStream: every request gets one answer, a response or an error item, so one bad
 * transaction does not end the stream. Requests start in arrival order, at most `maxInFlight`
 * at a time, and are answered as they complete. Reading pauses while that many are in flight or
 * while the outgoing side is full (`write` returned false, until 'drain'), so a fast sender or a
 * slow reader is held back by HTTP/2 flow control instead of filling this process's memory.
 */
export function createScoreStreams(opts: ScoreStreamOptions): ScoreStreams {
  const maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT_PER_STREAM;
  const log = opts.logger.child({ component: 'grpc-score-stream' });
  const open = new Set<() => void>();
  let stopped = false;

  async function answer(
    msg: ProtoTransaction,
    sequence: number,
    options: ScoreOptions,
  ): Promise<ProtoScoreStreamResponse> {
    const transaction_id = typeof msg.transaction_id === 'string' ? msg.transaction_id : '';
    try {
      const { response, replayed } = await opts.score(opts.read(msg), options);
      return { transaction_id, sequence, response: scoreResponseToProto(response), replayed };
    } catch (err) {
      const e = asRiskError(err);
      if (e.code === 'RISK_ERR_INTERNAL') log.error({ err, transaction_id }, 'scoring failed');
      return { transaction_id, sequence, error: toScoreError(e) };
    }
  }

  function handle(call: ScoreCall): void {
    if (stopped || opts.draining()) {
      call.emit('error', shuttingDown());
      return;
    }
    // The stream's initial metadata applies to every transaction; a bad value fails the whole
    // stream at once rather than each of its transactions.
    let options: ScoreOptions;
    try {
      options = readScoreOptions(call.metadata);
    } catch (err) {
      call.emit('error', toStatus(asRiskError(err)));
      return;
    }
    let sequence = 0;
    let inFlight = 0;
    let inputEnded = false;
    let writeBlocked = false;
    let stopping = false;
    let finished = false;

    const gone = (): boolean => finished || call.cancelled || call.destroyed || call.writableEnded;
    const flow = (): void => {
      if (stopping || inFlight >= maxInFlight || writeBlocked) call.pause();
      else call.resume();
    };
    const finishIfDone = (): void => {
      if (finished || inFlight > 0 || !(inputEnded || stopping)) return;
      finished = true;
      open.delete(stop);
      if (call.cancelled || call.writableEnded) return;
      if (inputEnded) call.end();
      else call.emit('error', shuttingDown());
    };
    const stop = (): void => {
      stopping = true;
      flow();
      finishIfDone();
    };
    open.add(stop);

    call.on('data', (msg: ProtoTransaction) => {
      if (stopping || finished) return;
      const seq = sequence++;
      inFlight += 1;
      flow();
      void answer(msg, seq, options).then((item) => {
        inFlight -= 1;
        if (!gone() && !call.write(item) && !writeBlocked) {
          writeBlocked = true;
          call.once('drain', () => {
            writeBlocked = false;
            flow();
          });
        }
        flow();
        finishIfDone();
      });
      // A draining server answers what it has read and lets the client move elsewhere.
      if (opts.draining()) stop();
    });
    call.on('end', () => {
      inputEnded = true;
      finishIfDone();
    });
    call.on('cancelled', () => {
      finished = true;
      open.delete(stop);
    });
  }

  return {
    handle,
    stopAll() {
      stopped = true;
      for (const stop of open) stop();
    },
  };
}
