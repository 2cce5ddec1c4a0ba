import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';

interface Row<R> {
  id: string;
  record: R;
  appendedAtMs: number;
  dueAtMs: number;
}

/** A claimed record is offered again after this long if its batch is neither acked nor released. */
const CLAIM_LEASE_MS = 60_000;

/**
 * An outbox in memory, for EMBEDDED_STORE=memory where nothing is durable anyway (case events
 * of the memory decision log). The same claim, lease, ack and release contract as the tables;
 * `append` stores the record before it returns, so a caller that appends in the middle of a
 * synchronous state change keeps the two together.
 */
export function createMemoryOutbox<R>(idOf: (record: R) => string): OutboxStore<R> {
  const rows = new Map<string, Row<R>>();
  const listeners: Array<() => void> = [];
  return {
    name: 'memory',
    append(record) {
      const id = idOf(record);
      if (!rows.has(id)) {
        const at = Date.now();
        rows.set(id, { id, record, appendedAtMs: at, dueAtMs: at });
      }
      for (const l of listeners) l();
      return Promise.resolve();
    },
    onAppend(listener) {
      listeners.push(listener);
    },
    claim(max) {
      const now = Date.now();
      const due = [...rows.values()].filter((r) => r.dueAtMs <= now).slice(0, max);
      if (due.length === 0) return Promise.resolve(null);
      for (const r of due) r.dueAtMs = now + CLAIM_LEASE_MS;
      const batch: ClaimedBatch<R> = {
        records: due.map((r) => r.record),
        oldestAppendedAtMs: Math.min(...due.map((r) => r.appendedAtMs)),
        ack() {
          for (const r of due) rows.delete(r.id);
          return Promise.resolve();
        },
        release(retryInMs) {
          const at = Date.now() + retryInMs;
          for (const r of due) if (rows.get(r.id) === r) r.dueAtMs = at;
          return Promise.resolve();
        },
      };
      return Promise.resolve(batch);
    },
    stats(): Promise<OutboxStats> {
      let oldest: number | null = null;
      for (const r of rows.values())
        if (oldest === null || r.appendedAtMs < oldest) oldest = r.appendedAtMs;
      return Promise.resolve({ depth: rows.size, oldestAppendedAtMs: oldest });
    },
    close: () => Promise.resolve(),
  };
}
