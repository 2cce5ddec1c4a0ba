import type { RiskFlag } from '../../domain/flag.ts';
import type { ClaimedBatch, OutboxStats, OutboxStore } from '../../pipeline/flag-outbox.ts';
import { createGroupCommit } from '../shared/group-commit.ts';
import type { Database } from './database.ts';

/** A claimed row is left alone by other relays for this long (a lease; it ends with a crash). */
const CLAIM_LEASE_MS = 60_000;

/**
 * An outbox table: `id` (uuid, primary key), `payload` (json), `created_at`, `attempts`,
 * `next_attempt_at`, `last_error` (migrations.ts, steps 3 and 7). Table and column are names
 * written in this code, never input.
 */
export interface PgOutboxTable<R> {
  table: string;
  idColumn: string;
  idOf: (record: R) => string;
}

function statements(table: string, id: string) {
  return {
    insert: `
  INSERT INTO ${table} (${id}, payload)
  SELECT id, payload::json FROM unnest($1::uuid[], $2::text[]) AS u (id, payload)
  ON CONFLICT (${id}) DO NOTHING`,
    // SKIP LOCKED: relays of several replicas claim disjoint batches without waiting on each
    // other.
    claim: `
  UPDATE ${table} o
  SET attempts = o.attempts + 1,
      next_attempt_at = clock_timestamp() + $2::integer * interval '1 millisecond'
  FROM (
    SELECT ${id} FROM ${table}
    WHERE next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ) due
  WHERE o.${id} = due.${id}
  RETURNING o.payload::text AS payload, (extract(epoch FROM o.created_at) * 1000)::float8 AS created_ms`,
    ack: `DELETE FROM ${table} WHERE ${id} = ANY($1::uuid[])`,
    release: `
  UPDATE ${table}
  SET next_attempt_at = clock_timestamp() + $2::integer * interval '1 millisecond',
      last_error = $3
  WHERE ${id} = ANY($1::uuid[])`,
    stats: `
  SELECT count(*)::integer AS depth,
         (extract(epoch FROM min(created_at)) * 1000)::float8 AS oldest_ms
  FROM ${table}`,
  };
}

interface ClaimedRow {
  payload: string;
  created_ms: number;
}

export interface PgOutboxOptions<R> extends PgOutboxTable<R> {
  db: Database;
  /** Rows per INSERT when many appends wait at once. */
  maxBatch?: number;
}

/**
 * An outbox in a PostgreSQL table. An append is durable once its INSERT commits; concurrent
 * appends share one INSERT (group commit). Rows are deleted when the broker acknowledged them.
 * Rows may also be inserted by other statements in their own transaction (a resolved case's
 * event, pg-decision-log.ts): the writer calls `notifyAppended` after its commit.
 */
export function createPgOutbox<R>(opts: PgOutboxOptions<R>): OutboxStore<R> {
  const { db, idOf } = opts;
  const sql = statements(opts.table, opts.idColumn);
  const listeners: Array<() => void> = [];
  const commits = createGroupCommit<R>(async (records) => {
    await db.query(sql.insert, [records.map(idOf), records.map((r) => JSON.stringify(r))]);
    for (const l of listeners) l();
  }, opts.maxBatch ?? 500);

  return {
    name: 'postgres',
    append: (record) => commits.submit(record),
    onAppend(listener) {
      listeners.push(listener);
    },
    notifyAppended() {
      for (const l of listeners) l();
    },
    async claim(max): Promise<ClaimedBatch<R> | null> {
      const rows = await db.query<ClaimedRow>(sql.claim, [max, CLAIM_LEASE_MS]);
      if (rows.length === 0) return null;
      rows.sort((a, b) => a.created_ms - b.created_ms);
      const records = rows.map((r) => JSON.parse(r.payload) as R);
      const ids = records.map(idOf);
      return {
        records,
        oldestAppendedAtMs: rows[0]?.created_ms ?? Date.now(),
        async ack() {
          await db.query(sql.ack, [ids]);
        },
        async release(retryInMs, reason) {
          await db.query(sql.release, [ids, Math.round(retryInMs), reason.slice(0, 1000)]);
        },
      };
    },
    async stats(): Promise<OutboxStats> {
      const [row] = await db.query<{ depth: number; oldest_ms: number | null }>(sql.stats);
      return { depth: row?.depth ?? 0, oldestAppendedAtMs: row?.oldest_ms ?? null };
    },
    async close() {
      await commits.idle();
    },
  };
}

export interface PgFlagOutboxOptions {
  db: Database;
  /** Rows per INSERT when many appends wait at once. */
  maxBatch?: number;
}

/** The server-mode flag outbox: table `risk_flag_outbox`. */
export function createPgFlagOutbox({ db, maxBatch }: PgFlagOutboxOptions): OutboxStore {
  return createPgOutbox<RiskFlag>({
    db,
    table: 'risk_flag_outbox',
    idColumn: 'flag_id',
    idOf: (f) => f.flag_id,
    ...(maxBatch !== undefined && { maxBatch }),
  });
}
