import type { RiskFlag } from '../../domain/flag.ts';
import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';
import type { Database } from './database.ts';

/** A claimed row is left alone by other relays for this long (a lease; it ends with a crash). */
const CLAIM_LEASE_MS = 60_000;

const INSERT_SQL = `
  INSERT INTO risk_flag_outbox (flag_id, payload)
  SELECT id, payload::json FROM unnest($1::uuid[], $2::text[]) AS u (id, payload)
  ON CONFLICT (flag_id) DO NOTHING`;

// SKIP LOCKED: relays of several replicas claim disjoint batches without waiting on each other.
const CLAIM_SQL = `
  UPDATE risk_flag_outbox o
  SET attempts = o.attempts + 1,
      next_attempt_at = clock_timestamp() + $2::integer * interval '1 millisecond'
  FROM (
    SELECT flag_id FROM risk_flag_outbox
    WHERE next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ) due
  WHERE o.flag_id = due.flag_id
  RETURNING o.payload::text AS payload, (extract(epoch FROM o.created_at) * 1000)::float8 AS created_ms`;

interface ClaimedRow {
  payload: string;
  created_ms: number;
}

export interface PgFlagOutboxOptions {
  db: Database;
  /** Rows per INSERT when many appends wait at once. */
  maxBatch?: number;
}

/**
 * The server-mode outbox: table `risk_flag_outbox`. An append is durable once its INSERT
 * commits; concurrent appends share one INSERT (group commit). Rows are deleted when the
 * broker acknowledged them.
 */
export function createPgFlagOutbox({ db, maxBatch = 500 }: PgFlagOutboxOptions): OutboxStore {
  const listeners: Array<() => void> = [];
  const commits = createGroupCommit<RiskFlag>(async (flags) => {
    await db.query(INSERT_SQL, [flags.map((f) => f.flag_id), flags.map((f) => JSON.stringify(f))]);
    for (const l of listeners) l();
  }, maxBatch);

  return {
    name: 'postgres',
    append: (flag) => commits.submit(flag),
    onAppend(listener) {
      listeners.push(listener);
    },
    async claim(max): Promise<ClaimedBatch | null> {
      const rows = await db.query<ClaimedRow>(CLAIM_SQL, [max, CLAIM_LEASE_MS]);
      if (rows.length === 0) return null;
      rows.sort((a, b) => a.created_ms - b.created_ms);
      const flags = rows.map((r) => JSON.parse(r.payload) as RiskFlag);
      const ids = flags.map((f) => f.flag_id);
      return {
        flags,
        oldestAppendedAtMs: rows[0]?.created_ms ?? Date.now(),
        async ack() {
          await db.query('DELETE FROM risk_flag_outbox WHERE flag_id = ANY($1::uuid[])', [ids]);
        },
        async release(retryInMs, reason) {
          await db.query(
            `UPDATE risk_flag_outbox
             SET next_attempt_at = clock_timestamp() + $2::integer * interval '1 millisecond',
                 last_error = $3
             WHERE flag_id = ANY($1::uuid[])`,
            [ids, Math.round(retryInMs), reason.slice(0, 1000)],
          );
        },
      };
    },
    async stats(): Promise<OutboxStats> {
      const [row] = await db.query<{ depth: number; oldest_ms: number | null }>(
        `SELECT count(*)::integer AS depth,
                (extract(epoch FROM min(created_at)) * 1000)::float8 AS oldest_ms
         FROM risk_flag_outbox`,
      );
      return { depth: row?.depth ?? 0, oldestAppendedAtMs: row?.oldest_ms ?? null };
    },
    async close() {
      await commits.idle();
    },
  };
}
