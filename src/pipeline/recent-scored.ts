import type { VelocityFeatures } from '../domain/features.ts';
import type { Transaction } from '../domain/transaction.ts';
import type { ScoreResponse } from './score-response.ts';

/** A scored transaction as kept for backtests: what the rules saw. */
export interface ScoredSample {
  transaction: Transaction;
  features: VelocityFeatures;
  anomaly_score: number | null;
  /** The fraud model's probability (absent: none was configured). */
  fraud_probability?: number | null;
  /**
   * The answer it got (the scorer sets it; the console's decisions API reads it). The same
   * object the caller got, so it costs one reference; backtests leave it out.
   */
  response?: ScoreResponse;
}

/**
 * The most recent scored transactions of this replica, with their features, for backtests
 * (`POST /v1/rules/backtest` without transactions). A fixed-size ring: memory stays bounded
 * (about 2–3 KB an entry; 10,000 entries ≈ 25 MB).
 */
export class RecentScored {
  private readonly ring: Array<ScoredSample | undefined>;
  private next = 0;
  private size = 0;

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Array<ScoredSample | undefined>(capacity);
  }

  add(sample: ScoredSample): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
  }

  get length(): number {
    return this.size;
  }

  /** The newest scored sample of `transactionId` still kept, or undefined. */
  find(transactionId: string): ScoredSample | undefined {
    for (let i = 1; i <= this.size; i++) {
      const s = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (s?.transaction.transaction_id === transactionId) return s;
    }
    return undefined;
  }

  /** Newest first: each kept sample until `visit` returns false. */
  forEachNewest(visit: (sample: ScoredSample) => boolean): void {
    for (let i = 1; i <= this.size; i++) {
      const s = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (s !== undefined && !visit(s)) return;
    }
  }

  /** The newest `n` (all by default), oldest first. */
  latest(n = this.size): ScoredSample[] {
    const count = Math.min(n, this.size);
    const out: ScoredSample[] = [];
    for (let i = count; i > 0; i--) {
      const s = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (s !== undefined) out.push(s);
    }
    return out;
  }
}
