import { WINDOWS } from '../features.ts';
import type { VelocityFeatures } from '../features.ts';
import type { Transaction } from '../transaction.ts';

/**
 * What the anomaly model sees of a transaction, in the order of its input vector. Training and
 * scoring both go through `modelFeatures`, and an artifact must name exactly these features in
 * this order to be loaded by the service. Velocity features keep their names from
 * DESIGN.md §4.2; the others are derived here:
 *
 * - `log_amount`: ln(1 + amount).
 * - `log_amount_to_avg_24h`: ln((1 + amount) / (1 + account.avg_amount_24h)); 0 (a typical
 *   amount) when the account has no earlier transaction in 24 h.
 * - `log_seconds_since_last`: ln(1 + account.seconds_since_last); with no earlier transaction in
 *   24 h, the value for exactly 24 h, the farthest the windows see.
 * - `hour_of_day`: hour plus minutes / 60 on the clock the timestamp is written in (its own UTC
 *   offset), 0 ≤ h < 24.
 *
 * A velocity feature the transaction cannot have (no card, device or IP on it, or no velocity
 * features at all) is 0, a value that never occurs otherwise since the windows count the
 * transaction itself.
 */
export const MODEL_FEATURES = [
  'log_amount',
  'log_amount_to_avg_24h',
  'account.count_1m',
  'account.count_10m',
  'account.count_1h',
  'account.count_24h',
  'card.count_10m',
  'account.distinct_merchants_1h',
  'account.distinct_countries_24h',
  'account.distinct_devices_24h',
  'ip.distinct_accounts_1h',
  'device.distinct_accounts_24h',
  'log_seconds_since_last',
  'hour_of_day',
] as const;

export type ModelFeatureName = (typeof MODEL_FEATURES)[number];

/** The velocity features copied as they are, with their place in the vector. */
const PASSTHROUGH: ReadonlyArray<[number, string]> = MODEL_FEATURES.flatMap((name, i) =>
  name.includes('.') ? [[i, name] as [number, string]] : [],
);

const at = (name: ModelFeatureName): number => MODEL_FEATURES.indexOf(name);
const LOG_AMOUNT = at('log_amount');
const LOG_AMOUNT_TO_AVG = at('log_amount_to_avg_24h');
const LOG_SINCE_LAST = at('log_seconds_since_last');
const HOUR = at('hour_of_day');

const LOG_DAY_SECONDS = Math.log1p(WINDOWS['24h'] / 1000);
const CLOCK = /^\d{4}-\d{2}-\d{2}[Tt ](\d{2}):(\d{2})/;

/** The hour on the timestamp's own clock; the UTC hour if the form is not RFC 3339. */
export function hourOfDay(timestamp: string): number {
  const m = CLOCK.exec(timestamp);
  if (m !== null) return Number(m[1]) + Number(m[2]) / 60;
  const d = new Date(timestamp);
  return d.getUTCHours() + d.getUTCMinutes() / 60;
}

function num(v: number | null | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The model's input vector for a transaction and its velocity features, written into `out`
 * (allocated when not given) in MODEL_FEATURES order. Every entry is a finite number.
 */
export function modelFeatures(
  tx: Transaction,
  features: VelocityFeatures,
  out: Float64Array = new Float64Array(MODEL_FEATURES.length),
): Float64Array {
  const logAmount = Math.log1p(tx.amount);
  const avg = num(features['account.avg_amount_24h']);
  const since = num(features['account.seconds_since_last']);
  out[LOG_AMOUNT] = logAmount;
  out[LOG_AMOUNT_TO_AVG] = avg === undefined ? 0 : logAmount - Math.log1p(avg);
  for (const [i, name] of PASSTHROUGH) out[i] = num(features[name]) ?? 0;
  out[LOG_SINCE_LAST] = since === undefined ? LOG_DAY_SECONDS : Math.log1p(Math.max(0, since));
  out[HOUR] = hourOfDay(tx.timestamp);
  return out;
}
