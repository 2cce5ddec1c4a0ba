import type { Transaction } from '../../src/domain/transaction.ts';
import { WindowAccumulator, averageScore, microsToDecimal } from '../../src/domain/windows.ts';
import type { ThrowawayDb } from './pg.ts';

export interface ScoredPair {
  tx: Transaction;
  response: { risk_score: number; risk_flag: boolean };
}

/** One window row as compared by the tests: every stored column that carries a total. */
export interface ComparableRow {
  key: string;
  total_amount: string;
  transaction_count: number;
  high_risk_transactions: number;
  flagged_transactions: number;
  risk_score_sum: number;
  max_risk_score: number;
  avg_risk_score: number;
  risk_flag: boolean;
}

/** The windows recomputed from the answers the clients received. */
export function expectedWindows(
  pairs: readonly ScoredPair[],
  windowSeconds: number,
): ComparableRow[] {
  const acc = new WindowAccumulator(windowSeconds * 1000);
  for (const { tx, response } of pairs) acc.add({ ...tx, ...response });
  return acc.list().map((a) => ({
    key: `${new Date(a.windowStartMs).toISOString()} ${a.dimension}=${a.value}`,
    total_amount: microsToDecimal(a.amountMicros),
    transaction_count: a.count,
    high_risk_transactions: a.highRisk,
    flagged_transactions: a.flagged,
    risk_score_sum: a.scoreSum,
    max_risk_score: a.maxScore,
    avg_risk_score: averageScore(a.scoreSum, a.count),
    risk_flag: a.highRisk > 0,
  }));
}

/** Every row of risk_windows, with the generated columns as PostgreSQL computed them. */
export async function storedWindows(db: ThrowawayDb): Promise<ComparableRow[]> {
  const rows = await db.query<ComparableRow & { start: Date; dimension: string; value: string }>(
    `SELECT window_start AS start, dimension, dimension_value AS value,
            total_amount::text AS total_amount, transaction_count::int AS transaction_count,
            high_risk_transactions::int AS high_risk_transactions,
            flagged_transactions::int AS flagged_transactions,
            risk_score_sum::int AS risk_score_sum, max_risk_score,
            avg_risk_score::float8 AS avg_risk_score, risk_flag
     FROM risk_windows`,
  );
  return rows
    .map(({ start, dimension, value, ...totals }) => ({
      ...totals,
      key: `${start.toISOString()} ${dimension}=${value}`,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function sortRows(rows: ComparableRow[]): ComparableRow[] {
  return [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const CATEGORIES = ['5411', '5812', '7995', 'crypto', '4111'];
const CHANNELS = ['web', 'pos', 'app'];
const COUNTRIES = ['US', 'FR', 'KP', 'BR', 'IR', 'DE'];

/**
 * Transactions for fault tests: about a third come from sanctioned countries (declined by the
 * default rules, so flagged), spread over accounts, windows and dimension values; some carry
 * no channel. `prefix` keeps transaction ids unique per test.
 */
export function trafficTx(prefix: string, i: number, baseMs: number): Transaction {
  const tx: Transaction = {
    transaction_id: `${prefix}-${i}`,
    // Two seconds apart, every 50th an hour late: several windows, late events in each run.
    timestamp: new Date(baseMs + i * 2000 - (i % 50 === 49 ? 3_600_000 : 0)).toISOString(),
    amount: Math.round(((i * 7919) % 100_000) + 1) / 100,
    currency: 'USD',
    account_id: `${prefix}-acct-${i % 97}`,
    merchant_category: CATEGORIES[i % CATEGORIES.length],
    location: COUNTRIES[i % COUNTRIES.length],
  };
  if (i % 4 !== 0) tx.channel = CHANNELS[i % CHANNELS.length];
  return tx;
}
