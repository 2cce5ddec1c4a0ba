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
 * Amounts are added as two integers: whole units and millionths (micro-units), summed apart, so
 * that a sum depends neither on the order of its terms nor on its size: each part stays an exact
 * integer in a double (or a Lua number) up to 2^53, i.e. 9 × 10^15 currency units, or 9 × 10^9
 * transactions' worth of millionths. Both stores, adding in different orders, give the same
 * figure; `amountOf` combines the parts exactly.
 */
export function toMicroParts(amount: number): [units: number, micros: number] {
  const units = Math.trunc(amount);
  // The fractional part of a double is exact, so only the rounding to millionths remains.
  const micros = Math.round((amount - units) * 1e6);
  return micros === 1_000_000 ? [units + 1, 0] : [units, micros];
}

const SAFE_UNITS = 9_000_000_000;
const MICROS = 1_000_000n;

/** `micros` (a non-negative integer) in currency units: the double nearest the exact figure. */
function microsToNumber(micros: bigint): number {
  return Number(`${micros / MICROS}.${(micros % MICROS).toString().padStart(6, '0')}`);
}

/**
 * The amount that `units` whole units and `micros` millionths (each a summed integer) make: the
 * double nearest the exact decimal sum. Below 9 × 10^9 units the micro-unit total is itself exact
 * in a double, and one division is correctly rounded; above, the total is built in a BigInt.
 */
export function amountOf(units: number, micros: number): number {
  if (units < SAFE_UNITS && micros < SAFE_UNITS) return (units * 1e6 + micros) / 1e6;
  return microsToNumber(BigInt(units) * MICROS + BigInt(micros));
}

/** The mean of `count` amounts summing to `units` + `micros`, rounded half up to the micro-unit. */
export function meanAmount(units: number, micros: number, count: number): number {
  if (units < SAFE_UNITS && micros < SAFE_UNITS) {
    return Math.round((units * 1e6 + micros) / count) / 1e6;
  }
  const total = BigInt(units) * MICROS + BigInt(micros);
  const n = BigInt(count);
  return microsToNumber((2n * total + n) / (2n * n));
}
