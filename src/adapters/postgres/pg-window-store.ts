import type { WindowAggregate, WindowDimension } from '../../domain/windows.ts';
import { decimalToMicros, microsToDecimal } from '../../domain/windows.ts';
import type { WindowQuery, WindowStore } from '../../pipeline/window-store.ts';
import { WindowDataError } from '../../pipeline/window-store.ts';
import type { Database } from './database.ts';

/**
 * One statement per flush: the flush id is inserted (or found) in a CTE, and the upserts run
 * only if it was new. Both commit together or not at all, so a flush is applied exactly once:
 * a retry after an unknown outcome finds its id; two attempts of one id running at once
 * serialise on the id's primary key, and the second adds nothing. Rows go in key order, the
 * same order in every replica, so concurrent flushes touching the same windows cannot deadlock.
 */
const ADD_SQL = `
  WITH flush AS (
    INSERT INTO risk_window_flushes (flush_id) VALUES ($1)
    ON CONFLICT (flush_id) DO NOTHING
    RETURNING flush_id
  )
  INSERT INTO risk_windows AS w (
    window_start, dimension, dimension_value, window_end, total_amount, transaction_count,
    high_risk_transactions, flagged_transactions, risk_score_sum, max_risk_score
  )
  SELECT s, d, v, e, a, c, h, f, ss, m
  FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::timestamptz[], $6::numeric[],
              $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::integer[])
       WITH ORDINALITY AS u (s, d, v, e, a, c, h, f, ss, m, n)
  WHERE EXISTS (SELECT 1 FROM flush)
  ORDER BY n
  ON CONFLICT (window_start, dimension, dimension_value) DO UPDATE SET
    total_amount           = w.total_amount + EXCLUDED.total_amount,
    transaction_count      = w.transaction_count + EXCLUDED.transaction_count,
    high_risk_transactions = w.high_risk_transactions + EXCLUDED.high_risk_transactions,
    flagged_transactions   = w.flagged_transactions + EXCLUDED.flagged_transactions,
    risk_score_sum         = w.risk_score_sum + EXCLUDED.risk_score_sum,
    max_risk_score         = GREATEST(w.max_risk_score, EXCLUDED.max_risk_score),
    updated_at             = now()`;

const QUERY_SQL = `
  SELECT (extract(epoch FROM window_start) * 1000)::float8 AS start_ms,
         (extract(epoch FROM window_end) * 1000)::float8 AS end_ms,
         dimension, dimension_value, total_amount::text AS total_amount,
         transaction_count::float8 AS transaction_count,
         high_risk_transactions::float8 AS high_risk_transactions,
         flagged_transactions::float8 AS flagged_transactions,
         risk_score_sum::float8 AS risk_score_sum, max_risk_score
  FROM risk_windows
  WHERE dimension = $1 AND window_start >= $2 AND window_start < $3
  ORDER BY window_start, dimension_value COLLATE "C"
  LIMIT $4`;

interface Row {
  start_ms: number;
  end_ms: number;
  dimension: WindowDimension;
  dimension_value: string;
  total_amount: string;
  transaction_count: number;
  high_risk_transactions: number;
  flagged_transactions: number;
  risk_score_sum: number;
  max_risk_score: number;
}

/**
 * Flush ids older than this are deleted. A flush is retried only while its process lives and
 * keeps failing; a batch still failing after a week would be counted again if it then
 * succeeded (and the process would have been dropping new keys at its bound long before).
 */
const FLUSH_ID_RETENTION = '7 days';
const PRUNE_EVERY_MS = 3_600_000;

export interface PgWindowStoreOptions {
  db: Database;
}

function addParams(flushId: string, parts: readonly WindowAggregate[]): unknown[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  return [
    flushId,
    parts.map((p) => iso(p.windowStartMs)),
    parts.map((p) => p.dimension),
    parts.map((p) => p.value),
    parts.map((p) => iso(p.windowEndMs)),
    parts.map((p) => microsToDecimal(p.amountMicros)),
    parts.map((p) => p.count),
    parts.map((p) => p.highRisk),
    parts.map((p) => p.flagged),
    parts.map((p) => p.scoreSum),
    parts.map((p) => p.maxScore),
  ];
}

/**
 * SQLSTATE class 21 (cardinality: one key twice in a statement), 22 (data exception: a value
 * out of range, a NUL byte, an invalid datetime)
 * and 23 (integrity constraint): the statement fails the same way whenever it is retried.
 * The pg driver puts the SQLSTATE in `code`.
 */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[123][0-9A-Z]{3}$/.test(code);
}

/** Aggregate windows in a PostgreSQL server. */
export function createPgWindowStore({ db }: PgWindowStoreOptions): WindowStore {
  let lastPrune = 0;
  return {
    async add(flushId, parts) {
      if (parts.length === 0) return;
      let params: unknown[];
      try {
        params = addParams(flushId, parts);
      } catch (err) {
        // An instant that JavaScript cannot write (NaN, beyond ±275760 years): nothing was sent.
        throw new WindowDataError(`window parts cannot be written: ${String(err)}`, err);
      }
      await db.query(ADD_SQL, params).catch((err: unknown) => {
        throw isDataException(err)
          ? new WindowDataError(`PostgreSQL refused the window parts: ${String(err)}`, err)
          : err;
      });
      const now = Date.now();
      if (now - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = now;
        await db
          .query(
            `DELETE FROM risk_window_flushes WHERE flushed_at < now() - interval '${FLUSH_ID_RETENTION}'`,
          )
          .catch(() => undefined);
      }
    },
    async query(q: WindowQuery) {
      const rows = await db.query<Row>(QUERY_SQL, [
        q.dimension,
        new Date(q.fromMs).toISOString(),
        new Date(q.toMs).toISOString(),
        q.limit,
      ]);
      return rows.map((r): WindowAggregate => ({
        windowStartMs: r.start_ms,
        windowEndMs: r.end_ms,
        dimension: r.dimension,
        value: r.dimension_value,
        amountMicros: decimalToMicros(r.total_amount),
        count: r.transaction_count,
        highRisk: r.high_risk_transactions,
        flagged: r.flagged_transactions,
        scoreSum: r.risk_score_sum,
        maxScore: r.max_risk_score,
      }));
    },
  };
}
