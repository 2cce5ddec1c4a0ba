import type { Transaction } from '../../src/domain/transaction.js';
import { simulate } from './simulator.js';

export interface FeedOptions {
  seed: number;
  /** Makes every id of the run unique (entities and transactions), e.g. a short random string. */
  runId: string;
  /** Customers per simulated stream (default 20,000: about 50,000 transactions a day). */
  customers?: number;
  /** Hours per simulated stream (default 24). */
  hours?: number;
}

/**
 * The simulator's traffic as an endless feed for load runs: one labelled stream after another
 * (the next seed each time, ids prefixed with the run and the stream's number, so nothing is an
 * idempotent replay of an earlier run), in event-time order. Labels are dropped: the service
 * sees what a payment system would send.
 */
export function simulatorFeed(opts: FeedOptions): () => Transaction {
  let round = 0;
  let stream: Transaction[] = [];
  let i = 0;
  const refill = (): void => {
    stream = simulate({
      seed: opts.seed + round,
      customers: opts.customers ?? 20_000,
      hours: opts.hours ?? 24,
      prefix: `${opts.runId}-${round}-`,
    }).map((s) => s.transaction);
    round += 1;
    i = 0;
  };
  return () => {
    if (i >= stream.length) refill();
    const tx = stream[i];
    i += 1;
    if (tx === undefined) throw new Error('the simulator produced an empty stream');
    return tx;
  };
}
