import type { Entity, VelocityFeatures } from '../../domain/features.ts';
import { entityKeys } from '../../domain/features.ts';
import type { Transaction } from '../../domain/transaction.ts';
import type { VelocityEvent } from '../../domain/velocity.ts';
import { entityFeatures, toVelocityEvent } from '../../domain/velocity.ts';
import type { VelocityLimits, VelocityStore } from '../../pipeline/velocity-store.ts';
import { DEFAULT_VELOCITY_LIMITS } from '../../pipeline/velocity-store.ts';

interface KeyState {
  /** Sorted by event time, then id: the same order Redis keeps. */
  events: VelocityEvent[];
  touchedAt: number;
}

export interface MemoryVelocityStoreOptions {
  limits?: Partial<VelocityLimits>;
  /** Wall clock for expiring idle keys, like Redis TTLs; defaults to Date.now. */
  now?: () => number;
}

/**
 * The embedded default: the same semantics as the Redis store in one process. Idle keys and
 * the transaction ids each key remembers expire after the retention period (a sweep every
 * 10,000 writes), and each key keeps at most `maxEventsPerKey` events, so memory stays bounded.
 */
export function createMemoryVelocityStore(opts: MemoryVelocityStoreOptions = {}): VelocityStore {
  const limits = { ...DEFAULT_VELOCITY_LIMITS, ...opts.limits };
  const now = opts.now ?? Date.now;
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
   * arrives and trims it.
   */
  function trim(state: KeyState, ts: number): void {
    const ev = state.events;
    let drop = 0;
    while (drop < ev.length && ev[drop]!.ts <= ts - limits.retentionMs) drop++;
    drop = Math.max(drop, ev.length - limits.maxEventsPerKey);
    if (drop > 0) ev.splice(0, drop);
  }

  return {
    record(tx: Transaction): Promise<VelocityFeatures> {
      const e = toVelocityEvent(tx);
      const wall = now();
      const features: VelocityFeatures = {};
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
          state = { events: [], touchedAt: wall };
          keys.set(k, state);
        }
        if (isNew) {
          insert(state, e);
          state.touchedAt = wall;
        }
        Object.assign(features, entityFeatures(entity, e, state.events));
        if (isNew) trim(state, e.ts);
      }
      return Promise.resolve(features);
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
