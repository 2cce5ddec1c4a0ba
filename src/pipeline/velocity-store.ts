import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';
import type { StoredDecision } from './decision-cache.ts';

/** What `VelocityStore.recordFirst` found for a transaction_id. */
export type FirstRecord =
  | { kind: 'stored'; stored: StoredDecision }
  | { kind: 'claimed'; payloadHash: string }
  | { kind: 'recorded'; features: VelocityFeatures };

/**
 * Keeps sliding-window velocity state per entity key (DESIGN.md §4.2). `record` adds the
 * transaction (once per transaction_id, whatever happens later) and returns the features of
 * every entity the transaction carries, this transaction included.
 */
export interface VelocityStore {
  record(tx: Transaction): Promise<VelocityFeatures>;
  /**
   * The scorer's first step in one call, for a store that keeps the idempotency records beside
   * the velocity state (one Redis): the stored answer for the id if there is one (nothing
   * recorded), else the hash of another payload that holds the id's claim (nothing recorded),
   * else the claim taken for `payloadHash` (DecisionCache.claim) and `record`'s features. Without
   * it the scorer sends the lookup, the claim and `record` together.
   */
  recordFirst?: (tx: Transaction, payloadHash: string) => Promise<FirstRecord>;
  /** Resolves when the backing store answers; rejects with the reason otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Limits shared by every VelocityStore adapter so that they keep the same events. */
export interface VelocityLimits {
  /**
   * How long after the latest event of a key an older event is kept: the longest window plus the
   * allowed lateness. An event arriving later than that behind the key's latest event is still
   * counted, but its own windows may miss trimmed history.
   */
  retentionMs: number;
  /**
   * Raw events kept per key: above it a busy key folds its oldest events into tiles of
   * `tileMs` (a count and two sums each), so memory per key stays bounded and nothing is
   * forgotten: a folded event counts in a window when its tile overlaps the window, so a busy
   * key's counts and sums are never below the exact ones and above them by at most one tile's
   * folded events at the window's start (README, "Busy keys").
   */
  maxEventsPerKey: number;
  /** Width of a busy key's tiles: the resolution of its windows' start for folded events. */
  tileMs: number;
}

export const DEFAULT_VELOCITY_LIMITS: VelocityLimits = {
  retentionMs: 25 * 3_600_000,
  maxEventsPerKey: 10_000,
  tileMs: 60_000,
};
