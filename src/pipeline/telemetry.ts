import type { Transaction } from '../domain/transaction.ts';
import type { ScoreResponse } from './score-response.ts';

/** The stages of a scoring call, as metrics and traces name them. */
export type Stage =
  | 'features' // idempotency lookup and velocity update (one round trip)
  | 'model'
  | 'rules'
  | 'flag' // storing the risk flag in the outbox
  | 'decision_store'; // storing the answer for idempotent replays

/** One scoring call as telemetry sees it. */
export interface ScoreTrace {
  /** Starts a stage (timed, and a child span when tracing); call the result when it is done. */
  begin(name: Stage): () => void;
  /** Ends the call with its answer, or with the error it failed with. */
  end(outcome: { response: ScoreResponse; replayed: boolean } | { error: unknown }): void;
}

/** Per-stage timing and tracing of scoring calls (a port: the app decides what it records). */
export interface Telemetry {
  /** `carrier`: the caller's trace headers (W3C `traceparent`), as the front door received them. */
  start(tx: Transaction, carrier?: Readonly<Record<string, unknown>>): ScoreTrace;
}

const nothing = (): void => undefined;
const noTrace: ScoreTrace = { begin: () => nothing, end: nothing };

/** Records nothing. */
export const noTelemetry: Telemetry = { start: () => noTrace };
