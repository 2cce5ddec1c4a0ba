import { ACCOUNT_AND_SHARED_FEATURES } from '../facts.ts';
import { WINDOWS, WINDOW_FEATURES } from '../features.ts';
import type { VelocityFeatures } from '../features.ts';
import type { Transaction } from '../transaction.ts';
import { hourOfDay } from './model-features.ts';

/**
 * A model's input vector built from the feature names its artifact lists, so that a team can
 * train on its own columns and the service computes exactly what the artifact names. A name is:
 *
 * - a velocity feature of DESIGN.md §4.2 (`account.count_1h`, `ip.distinct_accounts_1h`, …);
 * - `amount`, or one of the derived features of model-features.ts: `log_amount`,
 *   `log_amount_to_avg_24h`, `log_seconds_since_last`, `hour_of_day`;
 * - `attributes.<key>`: a numeric attribute (true/false read as 1/0; a string is no number);
 * - `attributes.<key>=<value>`: 1 when the attribute, written as text, is `<value>`, else 0
 *   (a categorical attribute such as PaySim's `type`, one indicator per category).
 *
 * A value the transaction does not have (an absent attribute, a velocity feature of an entity
 * it does not carry, or no velocity features at all) is `missing`: 0 for the isolation forest,
 * whose splits need a number and for which 0 never occurs as a window count; NaN for the
 * gradient-boosted model, whose trees route a missing input the way they learnt.
 */
export type FeatureReader = (tx: Transaction, features: VelocityFeatures) => number;

export class UnknownFeatureError extends Error {}

const VELOCITY: ReadonlySet<string> = new Set([
  ...Object.values(WINDOW_FEATURES).flat(),
  ...ACCOUNT_AND_SHARED_FEATURES,
]);

const LOG_DAY_SECONDS = Math.log1p(WINDOWS['24h'] / 1000);

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

const DERIVED: Readonly<Record<string, FeatureReader>> = {
  amount: (tx) => tx.amount,
  log_amount: (tx) => Math.log1p(tx.amount),
  log_amount_to_avg_24h: (tx, f) => {
    const avg = num(f['account.avg_amount_24h']);
    return avg === undefined ? 0 : Math.log1p(tx.amount) - Math.log1p(avg);
  },
  log_seconds_since_last: (_tx, f) => {
    const since = num(f['account.seconds_since_last']);
    return since === undefined ? LOG_DAY_SECONDS : Math.log1p(Math.max(0, since));
  },
  hour_of_day: (tx) => hourOfDay(tx.timestamp),
};

/** The reader of one feature name; throws UnknownFeatureError naming it when it is no feature. */
export function featureReader(name: string, missing: number): FeatureReader {
  const derived = DERIVED[name];
  if (derived !== undefined && Object.hasOwn(DERIVED, name)) return derived;
  if (VELOCITY.has(name)) return (_tx, f) => num(f[name]) ?? missing;
  if (name.startsWith('attributes.') && name.length > 11) {
    const rest = name.slice(11);
    const eq = rest.indexOf('=');
    if (eq === 0) throw new UnknownFeatureError(`feature "${name}": no attribute before "="`);
    if (eq > 0) {
      const key = rest.slice(0, eq);
      const value = rest.slice(eq + 1);
      return (tx) => {
        const v = tx.attributes?.[key];
        return v !== undefined && Object.hasOwn(tx.attributes!, key) && String(v) === value ? 1 : 0;
      };
    }
    return (tx) => {
      const a = tx.attributes;
      if (a === undefined || !Object.hasOwn(a, rest)) return missing;
      const v = a[rest];
      if (typeof v === 'boolean') return v ? 1 : 0;
      return num(v) ?? missing;
    };
  }
  throw new UnknownFeatureError(
    `unknown feature "${name}": expected a velocity feature (DESIGN.md §4.2), amount, ` +
      `${Object.keys(DERIVED)
        .filter((k) => k !== 'amount')
        .join(', ')}, attributes.<key> or attributes.<key>=<value>`,
  );
}

/** A compiled vector builder: names checked once, then one array write per feature per call. */
export interface FeatureVector {
  readonly names: readonly string[];
  /** Writes the vector into `out` (allocated when not given) and returns it. */
  build(tx: Transaction, features: VelocityFeatures, out?: Float64Array): Float64Array;
}

/** Compiles `names`; throws UnknownFeatureError naming the first name that is no feature. */
export function compileFeatureVector(
  names: readonly string[],
  opts: { missing: number },
): FeatureVector {
  const readers = names.map((n) => featureReader(n, opts.missing));
  const k = readers.length;
  return {
    names,
    build(tx, features, out = new Float64Array(k)) {
      for (let i = 0; i < k; i++) out[i] = readers[i]!(tx, features);
      return out;
    },
  };
}
