import type { Entity, VelocityFeatures } from '../../domain/features.ts';
import {
  LONGEST_WINDOW_MS,
  WINDOW_FEATURES,
  WINDOW_NAMES,
  WINDOWS,
  amountOf,
  entityKeys,
  meanAmount,
  toMicroParts,
} from '../../domain/features.ts';
import type { Transaction } from '../../domain/transaction.ts';
import type { VelocityEvent } from '../../domain/velocity.ts';
import { toVelocityEvent } from '../../domain/velocity.ts';
import type { VelocityLimits, VelocityStore } from '../../pipeline/velocity-store.ts';
import { DEFAULT_VELOCITY_LIMITS } from '../../pipeline/velocity-store.ts';

/** A busy key's folded events of one tile: their count and their unit and micro sums. */
interface Tile {
  count: number;
  units: number;
  micros: number;
}

type DistinctField = 'merchant' | 'country' | 'device' | 'account';

/** Distinct features by entity kind: the feature, its window and the event field it counts. */
const DISTINCT: Record<
  Entity,
  ReadonlyArray<{ name: string; ms: number; field: DistinctField }>
> = {
  account: [
    { name: 'account.distinct_merchants_1h', ms: WINDOWS['1h'], field: 'merchant' },
    { name: 'account.distinct_countries_24h', ms: WINDOWS['24h'], field: 'country' },
    { name: 'account.distinct_devices_24h', ms: WINDOWS['24h'], field: 'device' },
  ],
  card: [],
  device: [{ name: 'device.distinct_accounts_24h', ms: WINDOWS['24h'], field: 'account' }],
  ip: [{ name: 'ip.distinct_accounts_1h', ms: WINDOWS['1h'], field: 'account' }],
  merchant: [],
};

const windowMs = WINDOW_NAMES.map((w) => WINDOWS[w]);

interface KeyState {
  /** Raw events, sorted by event time, then id: the same order Redis keeps. */
  events: VelocityEvent[];
  /** A busy key's older events, by tile index (event time ÷ tile width, rounded down). */
  tiles: Map<number, Tile>;
  /** Per distinct feature (DISTINCT order), each value's latest event time. */
  latest: Array<Map<string, number>>;
  /** The newest event time the key has counted. */
  newest: number | undefined;
  touchedAt: number;
}

export interface MemoryVelocityStoreOptions {
  limits?: Partial<VelocityLimits>;
  /** Wall clock for expiring idle keys, like Redis TTLs; defaults to Date.now. */
  now?: () => number;
}

/**
 * The embedded default: the same semantics as the Redis store (src/adapters/redis/velocity.lua)
 * in one process, computed from the key's events rather than kept incrementally. Idle keys and
 * the transaction ids each key remembers expire after the retention period (a sweep every
 * 10,000 writes), and each key keeps at most `maxEventsPerKey` raw events, its older ones folded
 * into tiles of `tileMs`, so memory stays bounded and nothing is forgotten.
 */
export function createMemoryVelocityStore(opts: MemoryVelocityStoreOptions = {}): VelocityStore {
  const limits = { ...DEFAULT_VELOCITY_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
  const R = limits.tileMs;
  const keys = new Map<string, KeyState>();
  const seen = new Map<string, number>();
  let writes = 0;

  function sweep(): void {
    const cutoff = now() - limits.retentionMs;
    for (const [k, s] of keys) if (s.touchedAt <= cutoff) keys.delete(k);
    for (const [id, at] of seen) if (at <= cutoff) seen.delete(id);
  }

  function insert(state: KeyState, e: VelocityEvent): void {
    const ev = state.events;
    let lo = 0;
    let hi = ev.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = ev[mid]!;
      if (m.ts < e.ts || (m.ts === e.ts && m.id < e.id)) lo = mid + 1;
      else hi = mid;
    }
    ev.splice(lo, 0, e);
  }

  /**
   * Runs after the features are read, so that even a very late event counts itself. Trims
   * against the new event's time, as the Redis script does: a late event stays until a newer one
   * arrives and trims it. Then a busy key's oldest raw events go into their tiles.
   */
  function trim(state: KeyState, ts: number): void {
    const cut = ts - limits.retentionMs;
    const ev = state.events;
    let drop = 0;
    while (drop < ev.length && ev[drop]!.ts <= cut) drop++;
    if (drop > 0) ev.splice(0, drop);
    // Tiles wholly at or before the cut.
    for (const k of state.tiles.keys()) if (k * R + R <= cut + 1) state.tiles.delete(k);
    for (const values of state.latest) {
      for (const [v, at] of values) if (at <= cut) values.delete(v);
    }
    const fold = ev.length - limits.maxEventsPerKey;
    if (fold <= 0) return;
    for (const e of ev.splice(0, fold)) {
      const k = Math.floor(e.ts / R);
      const [u, m] = toMicroParts(e.amount);
      const tile = state.tiles.get(k) ?? { count: 0, units: 0, micros: 0 };
      tile.count += 1;
      tile.units += u;
      tile.micros += m;
      state.tiles.set(k, tile);
    }
  }

  /**
   * The features of `e` in one key (velocity.lua has the reasons): raw events in each window,
   * plus folded events whose tile overlaps it; distinct values from their latest times, except
   * for a late or repeated event on a key without tiles (from its raw events, exact).
   */
  function features(
    entity: Entity,
    e: VelocityEvent,
    state: KeyState,
    inOrder: boolean,
    lPrev: number | undefined,
  ): VelocityFeatures {
    const t = e.ts;
    const counts = [0, 0, 0, 0];
    const units = [0, 0, 0, 0];
    const micros = [0, 0, 0, 0];
    const specs = DISTINCT[entity];
    const fromRaw = !inOrder && state.tiles.size === 0;
    const sets = specs.map(() => new Set<string>());
    let latestEarlier: number | undefined;
    let self: VelocityEvent = e;
    for (const x of state.events) {
      const d = t - x.ts;
      if (d < 0 || d >= LONGEST_WINDOW_MS) continue;
      const [u, m] = toMicroParts(x.amount);
      for (let i = 0; i < windowMs.length; i++) {
        if (d < windowMs[i]!) {
          counts[i]! += 1;
          units[i]! += u;
          micros[i]! += m;
        }
      }
      if (x.id === e.id) self = x;
      else if (latestEarlier === undefined || x.ts > latestEarlier) latestEarlier = x.ts;
      if (fromRaw) {
        for (let k = 0; k < specs.length; k++) {
          const v = x[specs[k]!.field];
          if (d < specs[k]!.ms && v !== undefined) sets[k]!.add(v);
        }
      }
    }
    for (const [k, tile] of state.tiles) {
      if (k * R > t) continue;
      for (let i = 0; i < windowMs.length; i++) {
        if (k * R + R > t - windowMs[i]!) {
          counts[i]! += tile.count;
          units[i]! += tile.units;
          micros[i]! += tile.micros;
        }
      }
    }
    const f: VelocityFeatures = {};
    const names = WINDOW_FEATURES[entity];
    for (let i = 0; i < windowMs.length; i++) {
      f[names[2 * i]!] = counts[i]!;
      f[names[2 * i + 1]!] = amountOf(units[i]!, micros[i]!);
    }
    for (let k = 0; k < specs.length; k++) {
      const spec = specs[k]!;
      if (fromRaw) {
        f[spec.name] = sets[k]!.size;
        continue;
      }
      let lower = t - spec.ms;
      if (lPrev !== undefined) lower = Math.max(lower, lPrev - limits.retentionMs);
      let n = 0;
      for (const at of state.latest[k]!.values()) if (at > lower) n++;
      f[spec.name] = n;
    }
    if (entity === 'account') {
      f['account.seconds_since_last'] =
        latestEarlier === undefined ? null : (t - latestEarlier) / 1000;
      const [u, m] = toMicroParts(self.amount);
      const earlier = counts[3]! - 1;
      f['account.avg_amount_24h'] =
        earlier > 0 ? meanAmount(units[3]! - u, micros[3]! - m, earlier) : null;
    }
    return f;
  }

  return {
    record(tx: Transaction): Promise<VelocityFeatures> {
      const e = toVelocityEvent(tx);
      const wall = now();
      const out: VelocityFeatures = {};
      for (const { entity, value } of entityKeys(tx)) {
        const k = keyOf(entity, value);
        // Remembered per entity key, as the Redis store does on each shard.
        const seenKey = `${k}\u001f${e.id}`;
        const isNew = !seen.has(seenKey);
        if (isNew) {
          seen.set(seenKey, wall);
          if (++writes % 10_000 === 0) sweep();
        }
        let state = keys.get(k);
        if (state === undefined) {
          state = {
            events: [],
            tiles: new Map(),
            latest: DISTINCT[entity].map(() => new Map<string, number>()),
            newest: undefined,
            touchedAt: wall,
          };
          keys.set(k, state);
        }
        const lPrev = state.newest;
        if (!isNew) {
          Object.assign(out, features(entity, e, state, false, lPrev));
          continue;
        }
        insert(state, e);
        DISTINCT[entity].forEach((spec, i) => {
          const v = e[spec.field];
          const values = state.latest[i]!;
          const at = v === undefined ? undefined : values.get(v);
          if (v !== undefined && (at === undefined || at < e.ts)) values.set(v, e.ts);
        });
        state.touchedAt = wall;
        const inOrder = lPrev === undefined || e.ts >= lPrev;
        Object.assign(out, features(entity, e, state, inOrder, lPrev));
        state.newest = inOrder ? e.ts : lPrev;
        trim(state, e.ts);
      }
      return Promise.resolve(out);
    },
    ping: () => Promise.resolve(),
    close: () => {
      keys.clear();
      seen.clear();
      return Promise.resolve();
    },
  };
}

function keyOf(entity: Entity, value: string): string {
  return `${entity}\u001f${value}`;
}
