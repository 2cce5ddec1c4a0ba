import type { Entity, VelocityFeatures } from './features.ts';
import {
  LONGEST_WINDOW_MS,
  WINDOW_FEATURES,
  WINDOW_NAMES,
  WINDOWS,
  amountOf,
  meanAmount,
  toMicroParts,
} from './features.ts';
import type { Transaction } from './transaction.ts';
import { eventTimeMs } from './transaction.ts';

/** What the velocity store keeps of a transaction: just what the features need. */
export interface VelocityEvent {
  id: string;
  ts: number;
  amount: number;
  account: string;
  merchant?: string;
  country?: string;
  device?: string;
}

export function toVelocityEvent(tx: Transaction): VelocityEvent {
  const e: VelocityEvent = {
    id: tx.transaction_id,
    ts: eventTimeMs(tx),
    amount: tx.amount,
    account: tx.account_id,
  };
  if (tx.merchant_id !== undefined) e.merchant = tx.merchant_id;
  if (tx.location !== undefined) e.country = tx.location;
  if (tx.device_id !== undefined) e.device = tx.device_id;
  return e;
}

const HOUR = WINDOWS['1h'];
const DAY = WINDOWS['24h'];
const windowMs = WINDOW_NAMES.map((w) => WINDOWS[w]);

/**
 * The velocity features of one entity key (DESIGN.md §4.2), computed from the events stored
 * under that key. `events` may hold events later than `current` (out-of-order arrival) and must
 * hold `current` itself. This is the reference that both stores are tested against; the memory
 * store calls it directly and the Redis Lua script mirrors it.
 *
 * "Earlier" (for seconds_since_last and avg_amount_24h) means every other transaction with event
 * time ≤ t in the last 24 h, so that simultaneous transactions see each other whatever their
 * arrival order.
 */
export function entityFeatures(
  entity: Entity,
  current: VelocityEvent,
  events: Iterable<VelocityEvent>,
): VelocityFeatures {
  const t = current.ts;
  const counts = [0, 0, 0, 0];
  // Whole units and millionths, summed apart (see toMicroParts).
  const units = [0, 0, 0, 0];
  const micros = [0, 0, 0, 0];
  const distinct1h = new Set<string>();
  const countries = new Set<string>();
  const devices = new Set<string>();
  const accounts24h = new Set<string>();
  let latestEarlier = -Infinity;
  let earlierCount = 0;
  let earlierUnits = 0;
  let earlierMicros = 0;

  for (const e of events) {
    const d = t - e.ts;
    if (d < 0 || d >= LONGEST_WINDOW_MS) continue;
    const [u, m] = toMicroParts(e.amount);
    for (let i = 0; i < windowMs.length; i++) {
      if (d < windowMs[i]!) {
        counts[i]! += 1;
        units[i]! += u;
        micros[i]! += m;
      }
    }
    if (entity === 'account') {
      if (d < HOUR && e.merchant !== undefined) distinct1h.add(e.merchant);
      if (e.country !== undefined) countries.add(e.country);
      if (e.device !== undefined) devices.add(e.device);
      if (e.id !== current.id) {
        if (e.ts > latestEarlier) latestEarlier = e.ts;
        earlierCount += 1;
        earlierUnits += u;
        earlierMicros += m;
      }
    } else if (entity === 'ip') {
      if (d < HOUR) distinct1h.add(e.account);
    } else if (entity === 'device') {
      if (d < DAY) accounts24h.add(e.account);
    }
  }

  const f: VelocityFeatures = {};
  const names = WINDOW_FEATURES[entity];
  for (let i = 0; i < windowMs.length; i++) {
    f[names[2 * i]!] = counts[i]!;
    f[names[2 * i + 1]!] = amountOf(units[i]!, micros[i]!);
  }
  if (entity === 'account') {
    f['account.distinct_merchants_1h'] = distinct1h.size;
    f['account.distinct_countries_24h'] = countries.size;
    f['account.distinct_devices_24h'] = devices.size;
    f['account.seconds_since_last'] = earlierCount > 0 ? (t - latestEarlier) / 1000 : null;
    f['account.avg_amount_24h'] =
      earlierCount > 0 ? meanAmount(earlierUnits, earlierMicros, earlierCount) : null;
  } else if (entity === 'ip') {
    f['ip.distinct_accounts_1h'] = distinct1h.size;
  } else if (entity === 'device') {
    f['device.distinct_accounts_24h'] = accounts24h.size;
  }
  return f;
}
