import type { RiskFlag } from '../../domain/flag.ts';
import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** A claimed row is left alone by other claims for this long (a lease; it ends with a crash). */
const CLAIM_LEASE_MS = 60_000;

/**
 * An outbox table: `seq`, `id` (unique), `payload`, `created_at_ms`, `attempts`,
 * `next_attempt_at_ms`, `last_error` (sqlite-migrations.ts, steps 3 and 7). Table and column
 * are names written in this code, never input.
 */
export interface SqliteOutboxTable<R> {
  table: string;
  idColumn: string;
  idOf: (record: R) => string;
}

function statements(table: string, id: string) {
  return {
    insert: `
  INSERT INTO ${table} (${id}, payload, created_at_ms, next_attempt_at_ms)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (${id}) DO NOTHING`,
    // One statement: the due rows are chosen and leased atomically, oldest appends first.
    claim: `
  UPDATE ${table}
  SET attempts = attempts + 1, next_attempt_at_ms = ?
  WHERE seq IN (
    SELECT seq FROM ${table}
    WHERE next_attempt_at_ms <= ?
    ORDER BY next_attempt_at_ms, seq
    LIMIT ?
  )
  RETURNING seq, payload, created_at_ms`,
    // Id lists go in as one JSON array parameter, so each statement is prepared once.
    ack: `DELETE FROM ${table} WHERE ${id} IN (SELECT value FROM json_each(?))`,
    release: `
  UPDATE ${table} SET next_attempt_at_ms = ?, last_error = ?
  WHERE ${id} IN (SELECT value FROM json_each(?))`,
    stats: `SELECT count(*) AS depth, min(created_at_ms) AS oldest_ms FROM ${table}`,
  };
}

interface ClaimedRow {
  seq: number;
  payload: string;
  created_at_ms: number;
}

export interface SqliteOutboxOptions<R> extends SqliteOutboxTable<R> {
  db: SqliteDatabase;
  /** Rows per transaction when many appends wait at once. */
  maxBatch?: number;
  now?: () => number;
}

/**
 * An outbox in a table of the SQLite file. An append is durable once its transaction commits
 * (the database runs with synchronous=FULL); appends that arrive while one commits share the
 * next transaction (group commit). Rows are deleted when the broker acknowledged them. Rows
 * may also be inserted in another transaction (a resolved case's event,
 * sqlite-decision-log.ts): the writer calls `notifyAppended` after its commit.
 */
export function createSqliteOutbox<R>(opts: SqliteOutboxOptions<R>): OutboxStore<R> {
  const { db, idOf } = opts;
  const now = opts.now ?? Date.now;
  const sql = statements(opts.table, opts.idColumn);
  const listeners: Array<() => void> = [];
  const commits = createGroupCommit<R>((records) => {
    try {
      const at = now();
      db.transaction(() => {
        for (const r of records) db.run(sql.insert, idOf(r), JSON.stringify(r), at, at);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    for (const l of listeners) l();
    return Promise.resolve();
  }, opts.maxBatch ?? 500);

  const attempt = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    name: 'sqlite',
    append: (record) => commits.submit(record),
    onAppend(listener) {
      listeners.push(listener);
    },
    notifyAppended() {
      for (const l of listeners) l();
    },
    claim: (max) =>
      attempt((): ClaimedBatch<R> | null => {
        const at = now();
        const rows = db.all<ClaimedRow>(sql.claim, at + CLAIM_LEASE_MS, at, max);
        if (rows.length === 0) return null;
        rows.sort((a, b) => a.seq - b.seq);
        const records = rows.map((r) => JSON.parse(r.payload) as R);
        const ids = JSON.stringify(records.map(idOf));
        return {
          records,
          oldestAppendedAtMs: Math.min(...rows.map((r) => r.created_at_ms)),
          ack: () => attempt(() => void db.run(sql.ack, ids)),
          release: (retryInMs, reason) =>
            attempt(
              () =>
                void db.run(sql.release, now() + Math.round(retryInMs), reason.slice(0, 1000), ids),
            ),
        };
      }),
    stats: () =>
      attempt((): OutboxStats => {
        const row = db.get<{ depth: number; oldest_ms: number | null }>(sql.stats);
        return { depth: row?.depth ?? 0, oldestAppendedAtMs: row?.oldest_ms ?? null };
      }),
    async close() {
      await commits.idle();
    },
  };
}

export interface SqliteFlagOutboxOptions {
  db: SqliteDatabase;
  /** Rows per transaction when many appends wait at once. */
  maxBatch?: number;
  now?: () => number;
}

/** The embedded-mode flag outbox: table `risk_flag_outbox` in the SQLite file. */
export function createSqliteFlagOutbox(opts: SqliteFlagOutboxOptions): OutboxStore {
  return createSqliteOutbox<RiskFlag>({
    ...opts,
    table: 'risk_flag_outbox',
    idColumn: 'flag_id',
    idOf: (f) => f.flag_id,
  });
}
