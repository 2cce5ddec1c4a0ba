import type { RiskFlag } from '../../domain/flag.ts';
import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** A claimed row is left alone by other claims for this long (a lease; it ends with a crash). */
const CLAIM_LEASE_MS = 60_000;

const INSERT_SQL = `
  INSERT INTO risk_flag_outbox (flag_id, payload, created_at_ms, next_attempt_at_ms)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (flag_id) DO NOTHING`;

// One statement: the due rows are chosen and leased atomically, oldest appends first.
const CLAIM_SQL = `
  UPDATE risk_flag_outbox
  SET attempts = attempts + 1, next_attempt_at_ms = ?
  WHERE seq IN (
    SELECT seq FROM risk_flag_outbox
    WHERE next_attempt_at_ms <= ?
    ORDER BY next_attempt_at_ms, seq
    LIMIT ?
  )
  RETURNING seq, payload, created_at_ms`;

// Id lists go in as one JSON array parameter, so each statement is prepared once.
const ACK_SQL = `DELETE FROM risk_flag_outbox WHERE flag_id IN (SELECT value FROM json_each(?))`;
const RELEASE_SQL = `
  UPDATE risk_flag_outbox SET next_attempt_at_ms = ?, last_error = ?
  WHERE flag_id IN (SELECT value FROM json_each(?))`;

interface ClaimedRow {
  seq: number;
  payload: string;
  created_at_ms: number;
}

export interface SqliteFlagOutboxOptions {
  db: SqliteDatabase;
  /** Rows per transaction when many appends wait at once. */
  maxBatch?: number;
  now?: () => number;
}

/**
 * The embedded-mode outbox: table `risk_flag_outbox` in the SQLite file. An append is durable
 * once its transaction commits (the database runs with synchronous=FULL); appends that arrive
 * while one commits share the next transaction (group commit). Rows are deleted when the broker
 * acknowledged them.
 */
export function createSqliteFlagOutbox({
  db,
  maxBatch = 500,
  now = Date.now,
}: SqliteFlagOutboxOptions): OutboxStore {
  const listeners: Array<() => void> = [];
  const commits = createGroupCommit<RiskFlag>((flags) => {
    try {
      const at = now();
      db.transaction(() => {
        for (const f of flags) db.run(INSERT_SQL, f.flag_id, JSON.stringify(f), at, at);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    for (const l of listeners) l();
    return Promise.resolve();
  }, maxBatch);

  const attempt = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    name: 'sqlite',
    append: (flag) => commits.submit(flag),
    onAppend(listener) {
      listeners.push(listener);
    },
    claim: (max) =>
      attempt((): ClaimedBatch | null => {
        const at = now();
        const rows = db.all<ClaimedRow>(CLAIM_SQL, at + CLAIM_LEASE_MS, at, max);
        if (rows.length === 0) return null;
        rows.sort((a, b) => a.seq - b.seq);
        const flags = rows.map((r) => JSON.parse(r.payload) as RiskFlag);
        const ids = JSON.stringify(flags.map((f) => f.flag_id));
        return {
          flags,
          oldestAppendedAtMs: Math.min(...rows.map((r) => r.created_at_ms)),
          ack: () => attempt(() => void db.run(ACK_SQL, ids)),
          release: (retryInMs, reason) =>
            attempt(
              () =>
                void db.run(RELEASE_SQL, now() + Math.round(retryInMs), reason.slice(0, 1000), ids),
            ),
        };
      }),
    stats: () =>
      attempt((): OutboxStats => {
        const row = db.get<{ depth: number; oldest_ms: number | null }>(
          'SELECT count(*) AS depth, min(created_at_ms) AS oldest_ms FROM risk_flag_outbox',
        );
        return { depth: row?.depth ?? 0, oldestAppendedAtMs: row?.oldest_ms ?? null };
      }),
    async close() {
      await commits.idle();
    },
  };
}
