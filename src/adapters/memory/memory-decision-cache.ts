import type { DecisionCache, StoredDecision } from '../../pipeline/decision-cache.ts';
import { IDEMPOTENCY_TTL_MS } from '../../pipeline/decision-cache.ts';

export interface MemoryDecisionCacheOptions {
  ttlMs?: number;
  now?: () => number;
}

/**
 * Idempotency records in process memory, for the embedded default. Entries expire after the
 * TTL; Map iteration is insertion order, so expired entries are swept from the front.
 */
export function createMemoryDecisionCache(opts: MemoryDecisionCacheOptions = {}): DecisionCache {
  const ttl = opts.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { at: number; entry: StoredDecision }>();

  function sweep(t: number): void {
    for (const [id, e] of entries) {
      if (t - e.at < ttl) break;
      entries.delete(id);
    }
  }

  return {
    get(id) {
      const t = now();
      sweep(t);
      return Promise.resolve(entries.get(id)?.entry ?? null);
    },
    putIfAbsent(id, entry) {
      const existing = entries.get(id);
      if (existing !== undefined) return Promise.resolve(existing.entry);
      entries.set(id, { at: now(), entry });
      return Promise.resolve(entry);
    },
    ping: () => Promise.resolve(),
    close: () => {
      entries.clear();
      return Promise.resolve();
    },
  };
}
