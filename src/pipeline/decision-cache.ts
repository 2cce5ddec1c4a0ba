import type { ScoreResponse } from './score-response.ts';

/** The stored answer for a transaction_id, with the hash of the payload that produced it. */
export interface StoredDecision {
  payloadHash: string;
  response: ScoreResponse;
}

/** Idempotency store (DESIGN.md §4.4): one stored decision per transaction_id for 24 h. */
export interface DecisionCache {
  get(transactionId: string): Promise<StoredDecision | null>;
  /** Stores `entry` unless one is there already; returns whichever is stored after the call. */
  putIfAbsent(transactionId: string, entry: StoredDecision): Promise<StoredDecision>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
