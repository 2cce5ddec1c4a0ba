import type { WindowAggregate } from '../../domain/windows.ts';
import { WindowAccumulator, compareKeys } from '../../domain/windows.ts';
import type { WindowQuery, WindowStore } from '../../pipeline/window-store.ts';

/**
 * Aggregate windows in this process only (EMBEDDED_STORE=memory, tests): the same
 * once-per-flush-id additive semantics as the PostgreSQL store, gone at exit.
 */
export function createMemoryWindowStore(): WindowStore & { flushCount(): number } {
  // The size only matters for add(); merge() takes each part's own window bounds.
  const windows = new WindowAccumulator(1);
  const applied = new Set<string>();
  return {
    add(flushId, parts) {
      if (!applied.has(flushId)) {
        applied.add(flushId);
        for (const p of parts) windows.merge(p);
      }
      return Promise.resolve();
    },
    query(q: WindowQuery) {
      const rows: WindowAggregate[] = windows
        .list()
        .filter(
          (w) =>
            w.dimension === q.dimension && w.windowStartMs >= q.fromMs && w.windowStartMs < q.toMs,
        )
        .sort(compareKeys)
        .slice(0, q.limit)
        .map((w) => ({ ...w }));
      return Promise.resolve(rows);
    },
    flushCount: () => applied.size,
  };
}
