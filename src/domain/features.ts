import type { Transaction } from './transaction.ts';

/** The entities that carry velocity features, and the transaction field that names each. */
export const ENTITIES = {
  account: 'account_id',
  card: 'card_id',
  device: 'device_id',
  ip: 'ip',
  merchant: 'merchant_id',
} as const satisfies Record<string, keyof Transaction>;

export type Entity = keyof typeof ENTITIES;
export const ENTITY_NAMES = Object.keys(ENTITIES) as Entity[];

/** Sliding windows, (t − W, t] in event time. */
export const WINDOWS = {
  '1m': 60_000,
  '10m': 600_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
} as const;
export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];
export const LONGEST_WINDOW_MS = WINDOWS['24h'];

/**
 * `E.count_W` and `E.amount_W` names of each entity, in WINDOW_NAMES order (count, amount, …).
 * Built once: the hot path then uses the same interned strings instead of building keys per call.
 */
export const WINDOW_FEATURES = {} as Record<Entity, readonly string[]>;
for (const e of ENTITY_NAMES) {
  WINDOW_FEATURES[e] = WINDOW_NAMES.flatMap((w) => [`${e}.count_${w}`, `${e}.amount_${w}`]);
}

/** Feature name → value; null where the feature is defined but has no value (e.g. no history). */
export type VelocityFeatures = Record<string, number | null>;

/** The entity keys a transaction carries, in ENTITY_NAMES order. */
export function entityKeys(tx: Transaction): Array<{ entity: Entity; value: string }> {
  const out: Array<{ entity: Entity; value: string }> = [];
  for (const entity of ENTITY_NAMES) {
    const value = tx[ENTITIES[entity]];
    if (typeof value === 'string') out.push({ entity, value });
  }
  return out;
}

/**
 * Amounts are added in integer micro-units (millionths), so that a sum does not depend on the
 * order of its terms: both stores, adding in different orders, give the same figure. Exact while
 * a window's sum stays under 2^53 micro-units (about 9 × 10^9 in currency units).
 */
export function toMicros(amount: number): number {
  return Math.round(amount * 1e6);
}

export function fromMicros(micros: number): number {
  return micros / 1e6;
}

/** The mean of `count` amounts summing to `micros`, rounded to the micro-unit. */
export function meanOfMicros(micros: number, count: number): number {
  return Math.round(micros / count) / 1e6;
}
