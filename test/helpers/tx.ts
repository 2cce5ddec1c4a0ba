import type { Transaction } from '../../src/domain/transaction.ts';

/** Base event time of the fixtures: 2024-01-15T10:00:00Z. */
export const T0 = Date.parse('2024-01-15T10:00:00Z');

let seq = 0;

/** A valid transaction; `at` is milliseconds after T0. */
export function makeTx(over: Partial<Transaction> & { at?: number } = {}): Transaction {
  const { at = 0, ...rest } = over;
  seq += 1;
  return {
    transaction_id: `tx-${process.pid}-${seq}`,
    timestamp: new Date(T0 + at).toISOString(),
    amount: 100,
    currency: 'USD',
    account_id: 'acct-1',
    ...rest,
  };
}
