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
  /**
   * Reserves the id for this payload while it is scored, across replicas: returns the payload
   * hash of the first claim still held (this one's when it is first). A call whose payload
   * differs from the claim's is a conflict before it emits anything. Claims expire after
   * CLAIM_TTL_MS, so a crashed holder blocks nothing for long; a retry of the same payload is
   * never blocked. Optional: a store for one process relies on the scorer's in-process guard.
   */
  claim?(transactionId: string, payloadHash: string): Promise<string>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** How long a claim (see DecisionCache.claim) outlives its call at most. */
export const CLAIM_TTL_MS = 30_000;
