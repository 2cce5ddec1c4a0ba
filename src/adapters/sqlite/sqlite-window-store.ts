import type { WindowAggregate, WindowDimension } from '../../domain/windows.ts';
import { decimalToMicros, microsToDecimal } from '../../domain/windows.ts';
import type { WindowQuery, WindowStore } from '../../pipeline/window-store.ts';
import { WindowDataError } from '../../pipeline/window-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/**
 * How money is stored: `total_amount` is TEXT holding a decimal with six places (the domain's
 * micro-units, as `numeric` holds them in PostgreSQL), read, added with BigInt and written
 * back inside the flush's write transaction. Neither SQLite number type is exact enough:
 * - REAL is binary floating point: 0.1 + 0.2 is not 0.3, and errors pile up over a window;
 * - INTEGER micro-units are exact but 64-bit: at most 9.2e12 currency units per window, while
 *   one transaction may carry 1e12 (DESIGN.md §4.1), and SQLite turns an overflowing integer
 *   sum into a REAL without a word.
 * Text decimals have no bound and stay readable with the sqlite3 shell. The cost, one indexed
 * read per window key per flush, is small: a flush touches a few hundred keys at most.
 */
const CURRENT_SQL = `
  SELECT total_amount FROM risk_windows
  WHERE window_start_ms = ? AND dimension = ? AND dimension_value = ?`;

const UPSERT_SQL = `
  INSERT INTO risk_windows (
    window_start_ms, dimension, dimension_value, window_end_ms, total_amount, transaction_count,
    high_risk_transactions, flagged_transactions, risk_score_sum, max_risk_score, updated_at
  ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (window_start_ms, dimension, dimension_value) DO UPDATE SET
    total_amount           = excluded.total_amount,
    transaction_count      = transaction_count + excluded.transaction_count,
    high_risk_transactions = high_risk_transactions + excluded.high_risk_transactions,
    flagged_transactions   = flagged_transactions + excluded.flagged_transactions,
    risk_score_sum         = risk_score_sum + excluded.risk_score_sum,
    max_risk_score         = max(max_risk_score, excluded.max_risk_score),
    updated_at             = excluded.updated_at`;

// BINARY collation (SQLite's default) is byte order, as COLLATE "C" in the PostgreSQL store.
const QUERY_SQL = `
  SELECT window_start_ms, window_end_ms, dimension, dimension_value, total_amount,
         transaction_count, high_risk_transactions, flagged_transactions, risk_score_sum,
         max_risk_score
  FROM risk_windows
  WHERE dimension = ? AND window_start_ms >= ? AND window_start_ms < ?
  ORDER BY window_start_ms, dimension_value
  LIMIT ?`;

interface Row {
  window_start_ms: number;
  window_end_ms: number;
  dimension: WindowDimension;
  dimension_value: string;
  total_amount: string;
  transaction_count: number;
  high_risk_transactions: number;
  flagged_transactions: number;
  risk_score_sum: number;
  max_risk_score: number;
}

/** As in pg-window-store.ts: a flush is retried only while its process lives. */
const FLUSH_ID_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface SqliteWindowStoreOptions {
  db: SqliteDatabase;
  now?: () => number;
}

/**
 * Aggregate windows in the embedded database. A flush is one write transaction: its id is
 * inserted first, and if it was already there (a retry of a flush that committed) nothing
 * else happens, so each flush id is applied exactly once.
 */
export function createSqliteWindowStore({
  db,
  now = Date.now,
}: SqliteWindowStoreOptions): WindowStore {
  let lastPrune = 0;
  return {
    add(flushId, parts) {
      if (parts.length === 0) return Promise.resolve();
      try {
        const at = now();
        db.transaction(() => {
          const fresh = db.run(
            'INSERT INTO risk_window_flushes (flush_id, flushed_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING',
            flushId,
            at,
          );
          if (fresh === 0) return;
          const updatedAt = new Date(at).toISOString();
          for (const p of parts) {
            const current = db.get<{ total_amount: string }>(
              CURRENT_SQL,
              p.windowStartMs,
              p.dimension,
              p.value,
            );
            const total =
              (current === undefined ? 0n : decimalToMicros(current.total_amount)) + p.amountMicros;
            db.run(
              UPSERT_SQL,
              p.windowStartMs,
              p.dimension,
              p.value,
              p.windowEndMs,
              microsToDecimal(total),
              p.count,
              p.highRisk,
              p.flagged,
              p.scoreSum,
              p.maxScore,
              updatedAt,
            );
          }
        });
        if (at - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = at;
          try {
            db.run(
              'DELETE FROM risk_window_flushes WHERE flushed_at_ms < ?',
              at - FLUSH_ID_RETENTION_MS,
            );
          } catch {
            // Housekeeping only: the flush itself committed; the next prune tries again.
          }
        }
        return Promise.resolve();
      } catch (err) {
        // SQLITE_CONSTRAINT (19), SQLITE_MISMATCH (20), SQLITE_RANGE (25): the parts themselves
        // are refused, and would be on every retry (the transaction was rolled back).
        const errcode = (err as { errcode?: unknown } | null)?.errcode;
        if (typeof errcode === 'number' && [19, 20, 25].includes(errcode & 0xff)) {
          return Promise.reject(
            new WindowDataError(`SQLite refused the window parts: ${String(err)}`, err),
          );
        }
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    query(q: WindowQuery) {
      try {
        const rows = db.all<Row>(QUERY_SQL, q.dimension, q.fromMs, q.toMs, q.limit);
        return Promise.resolve(
          rows.map((r): WindowAggregate => ({
            windowStartMs: r.window_start_ms,
            windowEndMs: r.window_end_ms,
            dimension: r.dimension,
            value: r.dimension_value,
            amountMicros: decimalToMicros(r.total_amount),
            count: r.transaction_count,
            highRisk: r.high_risk_transactions,
            flagged: r.flagged_transactions,
            scoreSum: r.risk_score_sum,
            maxScore: r.max_risk_score,
          })),
        );
      } catch (err) {
        // SQLITE_CONSTRAINT (19), SQLITE_MISMATCH (20), SQLITE_RANGE (25): the parts themselves
        // are refused, and would be on every retry (the transaction was rolled back).
        const errcode = (err as { errcode?: unknown } | null)?.errcode;
        if (typeof errcode === 'number' && [19, 20, 25].includes(errcode & 0xff)) {
          return Promise.reject(
            new WindowDataError(`SQLite refused the window parts: ${String(err)}`, err),
          );
        }
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
