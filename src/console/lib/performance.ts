/*
 * Rule performance over time, the pure part: the buckets a range is cut into (each asked of
 * GET /v1/rules/performance on its own, so every point is the service's own exact count), and
 * how a ratio is written.
 */

export type BucketUnit = 'hour' | 'day';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Points on the chart at most: that many calls to the service per refresh. 48 hours not on
 * the hour cut into 49 buckets, so the longest hourly range fits, and days go to 49.
 */
export const MAX_BUCKETS = 50;

/**
 * The unit a range is charted in: hours up to two days, days beyond, so that a range gives at
 * most MAX_BUCKETS points (a longer range than MAX_BUCKETS days is refused by `bucketsOf`).
 */
export function unitFor(fromMs: number, toMs: number): BucketUnit {
  return toMs - fromMs <= 2 * DAY_MS ? 'hour' : 'day';
}

/**
 * `[fromMs, toMs)` cut at whole hours or days (UTC), the first and last buckets clipped to
 * the range, so that the buckets together cover exactly the range and the counts of the
 * buckets add up to the range's counts.
 */
export function bucketsOf(
  fromMs: number,
  toMs: number,
  unit: BucketUnit = unitFor(fromMs, toMs),
): Array<{ fromMs: number; toMs: number }> {
  if (!(fromMs < toMs)) throw new RangeError('the range must start before it ends');
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  const out: Array<{ fromMs: number; toMs: number }> = [];
  for (let start = fromMs; start < toMs;) {
    const end = Math.min(toMs, (Math.floor(start / step) + 1) * step);
    out.push({ fromMs: start, toMs: end });
    if (out.length > MAX_BUCKETS)
      throw new RangeError(
        `the range is more than ${MAX_BUCKETS} ${unit}s: choose a shorter one to chart`,
      );
    start = end;
  }
  return out;
}

/** A precision or recall as a percentage with one decimal; `—` when undefined (null). */
export function percent(ratio: number | null): string {
  return ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`;
}

/**
 * A `datetime-local` input's value (local time, minutes) for an epoch time, and back. Empty
 * or malformed input is null, so that the page can say which field is wrong.
 */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}
