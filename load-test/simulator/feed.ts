import type { Transaction } from '../../src/domain/transaction.ts';
import { simulate } from './simulator.ts';

export interface FeedOptions {
  seed: number;
  /** Makes every id of the run unique (entities and transactions), e.g. a short random string. */
  runId: string;
  /** Customers in the simulated stream (default 20,000: about 50,000 transactions a day). */
  customers?: number;
  /** Hours of traffic simulated (default 24). */
  hours?: number;
}

const HOUR = 3_600_000;

/**
 * The simulator's traffic as an endless feed for load runs. The stream is simulated once, when
 * the feed is made (about 0.2 s for a day of 20,000 customers: before any timing starts, so that
 * a load run never stalls on it), then replayed round after round, each round shifted by the
 * stream's length in event time and with its own transaction ids, so that nothing is an
 * idempotent replay and every entity's events stay in time order. Labels are dropped: the
 * service sees what a payment system would send.
 */
export function simulatorFeed(opts: FeedOptions): () => Transaction {
  const hours = opts.hours ?? 24;
  const stream = simulate({
    seed: opts.seed,
    customers: opts.customers ?? 20_000,
    hours,
    prefix: `${opts.runId}-`,
  }).map((s) => s.transaction);
  if (stream.length === 0) throw new Error('the simulator produced an empty stream');
  const shift = hours * HOUR;
  let round = 0;
  let i = 0;
  return () => {
    if (i >= stream.length) {
      i = 0;
      round += 1;
    }
    const tx = stream[i++]!;
    if (round === 0) return tx;
    return {
      ...tx,
      transaction_id: `${tx.transaction_id}-r${round}`,
      timestamp: new Date(Date.parse(tx.timestamp) + round * shift).toISOString(),
    };
  };
}
