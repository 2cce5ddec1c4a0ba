/**
 * Tumbling aggregate risk windows (DESIGN.md §4.8), as pure functions and one accumulator.
 *
 * A window is `[start, start + size)` with `start = floor(event_time / size) * size` on the
 * epoch, so every replica puts a transaction in the same window without agreeing on anything
 * but the size. Every field is a sum, a count or a maximum: partial aggregates of any split of
 * the transactions (replicas, flushes, late arrivals) add up to the aggregate of the whole,
 * which is what lets replicas write with additive upserts.
 */

export const WINDOW_DIMENSIONS = ['all', 'merchant_category', 'location', 'channel'] as const;
export type WindowDimension = (typeof WINDOW_DIMENSIONS)[number];

/** The value of the `all` dimension. */
export const ALL_VALUE = '*';
/** A transaction is high risk at or above this score (DESIGN.md §4.8). */
export const HIGH_RISK_SCORE = 80;

/** What a window needs to know of one scored transaction. */
export interface WindowInput {
  timestamp: string;
  amount: number;
  merchant_category?: string;
  location?: string;
  channel?: string;
  risk_score: number;
  /** The answer's `risk_flag` (decision ≠ approve). */
  risk_flag: boolean;
}

/**
 * The window input of a scored transaction, field by field: spreading the transaction and the
 * answer (features included) into one object cost about 10 µs a call, this about 0.3 µs
 * (measured on this machine over 2,000 simulated transactions, 2026-11-21).
 */
export function windowInputOf(
  tx: Pick<WindowInput, 'timestamp' | 'amount' | 'merchant_category' | 'location' | 'channel'>,
  answer: Pick<WindowInput, 'risk_score' | 'risk_flag'>,
): WindowInput {
  const input: WindowInput = {
    timestamp: tx.timestamp,
    amount: tx.amount,
    risk_score: answer.risk_score,
    risk_flag: answer.risk_flag,
  };
  if (tx.merchant_category !== undefined) input.merchant_category = tx.merchant_category;
  if (tx.location !== undefined) input.location = tx.location;
  if (tx.channel !== undefined) input.channel = tx.channel;
  return input;
}

export interface WindowKey {
  windowStartMs: number;
  dimension: WindowDimension;
  value: string;
}

export interface WindowTotals {
  /** Σ amount in millionths, exact whatever the order of addition. */
  amountMicros: bigint;
  count: number;
  highRisk: number;
  flagged: number;
  scoreSum: number;
  maxScore: number;
}

export interface WindowAggregate extends WindowKey, WindowTotals {
  windowEndMs: number;
}

/** The row of `GET /v1/windows`: the seed example's fields plus the key and two more totals. */
export interface WindowRow {
  window_start: string;
  window_end: string;
  dimension: WindowDimension;
  dimension_value: string;
  total_amount: number;
  transaction_count: number;
  high_risk_transactions: number;
  flagged_transactions: number;
  max_risk_score: number;
  avg_risk_score: number;
  risk_flag: boolean;
}

export function windowStartOf(eventMs: number, sizeMs: number): number {
  return Math.floor(eventMs / sizeMs) * sizeMs;
}

/**
 * The keys a transaction counts under: `all`, and each of its dimensions that it carries. A
 * transaction without, say, a location is counted in no location's window (`all` still has
 * it), so per-dimension totals can be below `all`'s.
 */
export function windowKeysOf(input: WindowInput, sizeMs: number): WindowKey[] {
  const windowStartMs = windowStartOf(Date.parse(input.timestamp), sizeMs);
  const keys: WindowKey[] = [{ windowStartMs, dimension: 'all', value: ALL_VALUE }];
  for (const dimension of ['merchant_category', 'location', 'channel'] as const) {
    const value = input[dimension];
    if (value !== undefined) keys.push({ windowStartMs, dimension, value });
  }
  return keys;
}

/** Amounts in millionths: `toFixed` rounds the double's exact value, so 0.1 is 100000. */
export function toMicros(amount: number): bigint {
  const [whole = '0', frac = ''] = amount.toFixed(6).split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

/** Millionths as an exact decimal string, e.g. `6200.000000` (for a `numeric` column). */
export function microsToDecimal(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  return `${sign}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`;
}

/** The inverse of microsToDecimal, for a `numeric` read back as text (at most 6 decimals). */
export function decimalToMicros(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{0,6}))?$/.exec(text.trim());
  if (m === null) throw new Error(`not a decimal with at most 6 decimals: ${text}`);
  const micros = BigInt(m[2] ?? '0') * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -micros : micros;
}

/** `avg_risk_score`: the mean score rounded half up to two decimals (PostgreSQL's round()). */
export function averageScore(scoreSum: number, count: number): number {
  if (count === 0) return 0;
  // Integer scores: 100·sum/count is exact whenever it ends in .5, so Math.round is exact too.
  return Math.round((scoreSum * 100) / count) / 100;
}

/** RFC 3339 in UTC without milliseconds when there are none, as in the seed example. */
export function formatInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export function toWindowRow(a: WindowAggregate): WindowRow {
  return {
    window_start: formatInstant(a.windowStartMs),
    window_end: formatInstant(a.windowEndMs),
    dimension: a.dimension,
    dimension_value: a.value,
    total_amount: Number(microsToDecimal(a.amountMicros)),
    transaction_count: a.count,
    high_risk_transactions: a.highRisk,
    flagged_transactions: a.flagged,
    max_risk_score: a.maxScore,
    avg_risk_score: averageScore(a.scoreSum, a.count),
    risk_flag: a.highRisk > 0,
  };
}

const keyString = (k: WindowKey): string =>
  `${k.windowStartMs}\u001f${k.dimension}\u001f${k.value}`;

/**
 * Partial aggregates keyed by window and dimension value. Memory grows with the number of
 * distinct keys (about one per dimension value per window), not with transactions.
 */
export class WindowAccumulator {
  private readonly aggregates = new Map<string, WindowAggregate>();

  readonly sizeMs: number;

  constructor(sizeMs: number) {
    this.sizeMs = sizeMs;
  }

  get size(): number {
    return this.aggregates.size;
  }

  /**
   * Folds one scored transaction into its windows. A key not held yet is created only if
   * `admitNewKey()` allows it; returns how many of the transaction's keys were refused.
   */
  add(input: WindowInput, admitNewKey: () => boolean = () => true): number {
    const amountMicros = toMicros(input.amount);
    const score = input.risk_score;
    const highRisk = score >= HIGH_RISK_SCORE ? 1 : 0;
    const flagged = input.risk_flag ? 1 : 0;
    let refused = 0;
    // On the scoring path: each key's id is built once and its aggregate updated in place.
    for (const key of windowKeysOf(input, this.sizeMs)) {
      const id = keyString(key);
      const a = this.aggregates.get(id);
      if (a !== undefined) {
        a.amountMicros += amountMicros;
        a.count += 1;
        a.highRisk += highRisk;
        a.flagged += flagged;
        a.scoreSum += score;
        a.maxScore = Math.max(a.maxScore, score);
      } else if (admitNewKey()) {
        this.aggregates.set(id, {
          windowStartMs: key.windowStartMs,
          dimension: key.dimension,
          value: key.value,
          windowEndMs: key.windowStartMs + this.sizeMs,
          amountMicros,
          count: 1,
          highRisk,
          flagged,
          scoreSum: score,
          maxScore: score,
        });
      } else {
        refused += 1;
      }
    }
    return refused;
  }

  /** Adds a partial aggregate to this one's (the additive upsert, in memory). */
  merge(part: WindowAggregate): void {
    const id = keyString(part);
    const a = this.aggregates.get(id);
    if (a === undefined) {
      this.aggregates.set(id, { ...part });
      return;
    }
    a.amountMicros += part.amountMicros;
    a.count += part.count;
    a.highRisk += part.highRisk;
    a.flagged += part.flagged;
    a.scoreSum += part.scoreSum;
    a.maxScore = Math.max(a.maxScore, part.maxScore);
  }

  /** Every aggregate, ordered by key (a fixed order keeps concurrent upserts from deadlocking). */
  list(): WindowAggregate[] {
    return [...this.aggregates.values()].sort(compareKeys);
  }
}

export function compareKeys(a: WindowKey, b: WindowKey): number {
  if (a.windowStartMs !== b.windowStartMs) return a.windowStartMs - b.windowStartMs;
  if (a.dimension !== b.dimension) return a.dimension < b.dimension ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
