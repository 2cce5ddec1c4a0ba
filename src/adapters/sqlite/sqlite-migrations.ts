import type { SqliteDatabase } from './sqlite-database.ts';

export interface SqliteMigration {
  /** Applied in increasing order; never renumber or edit one that has shipped. */
  id: number;
  name: string;
  sql: string;
}

/** SQLite's own clock as the ISO 8601 text the ports return (millisecond precision, UTC). */
const NOW_ISO = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * The embedded schema, in SQLite's dialect. It mirrors the PostgreSQL one
 * (../postgres/migrations.ts) table for table, but the two are separate lists with their own
 * numbering: they evolve at their own pace and neither is ever run on the other engine.
 * Tables are STRICT, so a value of the wrong type is an error rather than silently stored.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    id: 1,
    name: 'rulesets',
    sql: `
      CREATE TABLE ruleset_versions (
        version      INTEGER PRIMARY KEY,
        rules        TEXT NOT NULL,  -- the JSON text exactly as published
        rule_count   INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        author       TEXT NOT NULL,
        comment      TEXT NOT NULL DEFAULT '',
        source       TEXT NOT NULL,
        created_at   TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      -- Versions never change: the engine refuses, whatever the code above it does.
      CREATE TRIGGER ruleset_versions_no_update BEFORE UPDATE ON ruleset_versions
        BEGIN SELECT RAISE(ABORT, 'ruleset versions are immutable'); END;
      CREATE TRIGGER ruleset_versions_no_delete BEFORE DELETE ON ruleset_versions
        BEGIN SELECT RAISE(ABORT, 'ruleset versions are immutable'); END;
      CREATE TABLE ruleset_active (
        singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
        version    INTEGER NOT NULL REFERENCES ruleset_versions (version),
        changed_at TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      CREATE TABLE ruleset_audit (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        action       TEXT NOT NULL CHECK (action IN ('seed', 'publish', 'rollback')),
        version      INTEGER NOT NULL REFERENCES ruleset_versions (version),
        from_version INTEGER REFERENCES ruleset_versions (version),
        actor        TEXT NOT NULL,
        comment      TEXT NOT NULL DEFAULT '',
        at           TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      CREATE INDEX ruleset_audit_by_version ON ruleset_audit (version, id);
    `,
  },
  {
    id: 2,
    name: 'risk_windows',
    sql: `
      -- DESIGN.md §4.8. total_amount is a decimal in text with six places, added up exactly by
      -- the adapter (sqlite-window-store.ts explains why not INTEGER or REAL).
      CREATE TABLE risk_windows (
        window_start_ms        INTEGER NOT NULL,
        dimension              TEXT NOT NULL
          CHECK (dimension IN ('all', 'merchant_category', 'location', 'channel')),
        dimension_value        TEXT NOT NULL,
        window_end_ms          INTEGER NOT NULL,
        total_amount           TEXT NOT NULL CHECK (total_amount GLOB '*[0-9].[0-9][0-9][0-9][0-9][0-9][0-9]'),
        transaction_count      INTEGER NOT NULL,
        high_risk_transactions INTEGER NOT NULL,
        flagged_transactions   INTEGER NOT NULL,
        risk_score_sum         INTEGER NOT NULL,
        max_risk_score         INTEGER NOT NULL,
        avg_risk_score         REAL GENERATED ALWAYS AS
          (round(CAST(risk_score_sum AS REAL) / transaction_count, 2)) VIRTUAL,
        risk_flag              INTEGER GENERATED ALWAYS AS (high_risk_transactions > 0) VIRTUAL,
        updated_at             TEXT NOT NULL DEFAULT ${NOW_ISO},
        PRIMARY KEY (window_start_ms, dimension, dimension_value)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX risk_windows_by_dimension ON risk_windows (dimension, window_start_ms);
      -- One row per applied flush, written in the same transaction as its upserts.
      CREATE TABLE risk_window_flushes (
        flush_id      TEXT PRIMARY KEY,
        flushed_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX risk_window_flushes_by_age ON risk_window_flushes (flushed_at_ms);
    `,
  },
  {
    id: 3,
    name: 'risk_flag_outbox',
    sql: `
      -- DESIGN.md §4.7: each flag stays here until the broker acknowledged it. seq keeps the
      -- append order (claims hand out the oldest first); next_attempt_at_ms moves forward as a
      -- lease while a relay holds a batch, and as the retry delay after a failure.
      CREATE TABLE risk_flag_outbox (
        seq                INTEGER PRIMARY KEY AUTOINCREMENT,
        flag_id            TEXT NOT NULL UNIQUE,
        payload            TEXT NOT NULL,
        created_at_ms      INTEGER NOT NULL,
        attempts           INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER NOT NULL,
        last_error         TEXT
      ) STRICT;
      CREATE INDEX risk_flag_outbox_due ON risk_flag_outbox (next_attempt_at_ms, seq);
    `,
  },
  {
    id: 4,
    name: 'decision_log',
    sql: `
      -- Every scored transaction (replays excluded), for rule performance against labels.
      -- rules and shadow_rules are JSON arrays of rule names.
      CREATE TABLE risk_decisions (
        transaction_id  TEXT PRIMARY KEY,
        event_time_ms   INTEGER NOT NULL,
        account_id      TEXT NOT NULL,
        decision        TEXT NOT NULL CHECK (decision IN ('approve', 'review', 'decline')),
        risk_score      INTEGER NOT NULL,
        rules           TEXT NOT NULL,
        shadow_rules    TEXT NOT NULL,
        ruleset_version TEXT NOT NULL,
        logged_at_ms    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX risk_decisions_by_event_time ON risk_decisions (event_time_ms);
      -- Outcome labels: every one received (the history), and the last per transaction.
      CREATE TABLE risk_labels (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        transaction_id TEXT NOT NULL,
        label          TEXT NOT NULL CHECK (label IN ('fraud', 'legit')),
        source         TEXT NOT NULL,
        reported_at_ms INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX risk_labels_by_transaction ON risk_labels (transaction_id, id);
      CREATE TABLE risk_label_current (
        transaction_id TEXT PRIMARY KEY,
        label          TEXT NOT NULL CHECK (label IN ('fraud', 'legit')),
        label_id       INTEGER NOT NULL
      ) STRICT;
      -- Review cases, one per transaction; seq is the queue's order (oldest opened first).
      CREATE TABLE risk_cases (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id        TEXT NOT NULL UNIQUE,
        transaction_id TEXT NOT NULL UNIQUE,
        status         TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'resolved')),
        decision       TEXT NOT NULL,
        risk_score     INTEGER NOT NULL,
        reasons        TEXT NOT NULL,
        opened_at_ms   INTEGER NOT NULL,
        assignee       TEXT,
        claimed_at_ms  INTEGER,
        outcome        TEXT CHECK (outcome IN ('fraud', 'legit')),
        comment        TEXT,
        resolved_at_ms INTEGER
      ) STRICT;
      CREATE INDEX risk_cases_queue ON risk_cases (status, seq);
    `,
  },
  {
    id: 5,
    name: 'users',
    sql: `
      -- DESIGN.md §4.10, as in the PostgreSQL schema. Users are disabled, never deleted.
      CREATE TABLE users (
        username      TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'publisher', 'admin')),
        password_hash TEXT,
        disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at    TEXT NOT NULL DEFAULT ${NOW_ISO},
        updated_at    TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      CREATE TRIGGER users_no_delete BEFORE DELETE ON users
        BEGIN SELECT RAISE(ABORT, 'users are never deleted: disable them'); END;
      CREATE TABLE user_tokens (
        token_id    TEXT PRIMARY KEY,
        username    TEXT NOT NULL UNIQUE REFERENCES users (username),
        secret_hash TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      CREATE TABLE user_sessions (
        id_hash       TEXT PRIMARY KEY,
        username      TEXT NOT NULL,
        bootstrap     INTEGER NOT NULL CHECK (bootstrap IN (0, 1)),
        created_at_ms INTEGER NOT NULL,
        last_seen_ms  INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX user_sessions_by_user ON user_sessions (username);
      CREATE INDEX user_sessions_by_expiry ON user_sessions (expires_at_ms);
    `,
  },
  {
    id: 6,
    name: 'ruleset_proposals',
    sql: `
      -- Four-eyes publishing (RULES_APPROVAL=required), as in the PostgreSQL schema.
      CREATE TABLE ruleset_proposals (
        id                      INTEGER PRIMARY KEY AUTOINCREMENT,
        rules                   TEXT NOT NULL,
        rule_count              INTEGER NOT NULL,
        content_hash            TEXT NOT NULL,
        author                  TEXT NOT NULL,
        comment                 TEXT NOT NULL DEFAULT '',
        expected_active_version INTEGER REFERENCES ruleset_versions (version),
        status                  TEXT NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'approved', 'rejected')),
        created_at              TEXT NOT NULL DEFAULT ${NOW_ISO},
        decided_by              TEXT,
        decided_at              TEXT,
        decision_comment        TEXT,
        version                 INTEGER REFERENCES ruleset_versions (version)
      ) STRICT;
      CREATE INDEX ruleset_proposals_by_status ON ruleset_proposals (status, id);
      -- SQLite cannot change a CHECK or a NOT NULL in place: the audit table is rebuilt with
      -- its rows (ids kept), as its documentation's twelve-step recipe does.
      CREATE TABLE ruleset_audit_v6 (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        action       TEXT NOT NULL
          CHECK (action IN ('seed', 'publish', 'rollback', 'propose', 'approve', 'reject')),
        version      INTEGER REFERENCES ruleset_versions (version),
        from_version INTEGER REFERENCES ruleset_versions (version),
        actor        TEXT NOT NULL,
        comment      TEXT NOT NULL DEFAULT '',
        at           TEXT NOT NULL DEFAULT ${NOW_ISO},
        proposal_id  INTEGER REFERENCES ruleset_proposals (id),
        CHECK ((version IS NULL) = (action IN ('propose', 'reject')))
      ) STRICT;
      INSERT INTO ruleset_audit_v6 (id, action, version, from_version, actor, comment, at)
        SELECT id, action, version, from_version, actor, comment, at FROM ruleset_audit;
      DROP TABLE ruleset_audit;
      ALTER TABLE ruleset_audit_v6 RENAME TO ruleset_audit;
      CREATE INDEX ruleset_audit_by_version ON ruleset_audit (version, id);
    `,
  },
  {
    id: 7,
    name: 'risk_case_event_outbox',
    sql: `
      -- DESIGN.md §4.9: a resolved case's event, inserted in the transaction that resolves the
      -- case (a transactional outbox), kept until its destination took it; as risk_flag_outbox.
      CREATE TABLE risk_case_event_outbox (
        seq                INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id           TEXT NOT NULL UNIQUE,
        payload            TEXT NOT NULL,
        created_at_ms      INTEGER NOT NULL,
        attempts           INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER NOT NULL,
        last_error         TEXT
      ) STRICT;
      CREATE INDEX risk_case_event_outbox_due ON risk_case_event_outbox (next_attempt_at_ms, seq);
    `,
  },
  {
    id: 8,
    name: 'model_registry',
    sql: `
      -- Models uploaded through the admin API, as in the PostgreSQL schema: immutable versions,
      -- each role's active and shadow pointers, the audit trail.
      CREATE TABLE model_versions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        role        TEXT NOT NULL,
        version     TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        format      TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        bytes       INTEGER NOT NULL,
        artifact    TEXT NOT NULL,
        uploaded_by TEXT NOT NULL,
        uploaded_at TEXT NOT NULL DEFAULT ${NOW_ISO},
        comment     TEXT NOT NULL DEFAULT '',
        source      TEXT NOT NULL CHECK (source IN ('seed', 'file', 'api')),
        UNIQUE (role, seq),
        UNIQUE (role, sha256)
      ) STRICT;
      CREATE TABLE model_roles (
        role       TEXT PRIMARY KEY,
        active_id  INTEGER REFERENCES model_versions (id),
        shadow_id  INTEGER REFERENCES model_versions (id),
        changed_at TEXT NOT NULL DEFAULT ${NOW_ISO},
        CHECK (active_id IS NULL OR shadow_id IS NULL OR active_id <> shadow_id)
      ) STRICT;
      CREATE TABLE model_audit (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        role          TEXT NOT NULL,
        action        TEXT NOT NULL
          CHECK (action IN ('seed', 'upload', 'shadow', 'unshadow', 'promote', 'rollback')),
        model_id      INTEGER NOT NULL REFERENCES model_versions (id),
        from_model_id INTEGER REFERENCES model_versions (id),
        actor         TEXT NOT NULL,
        comment       TEXT NOT NULL DEFAULT '',
        at            TEXT NOT NULL DEFAULT ${NOW_ISO}
      ) STRICT;
      CREATE INDEX model_audit_by_model ON model_audit (role, model_id, id);
    `,
  },
];

/**
 * Brings the schema up to date; returns the ids applied by this call. Each step commits in
 * its own write transaction with its record, re-checked under the write lock, so two processes
 * opening the same file at once apply each step exactly once and a failed step leaves nothing.
 */
export function migrateSqlite(
  db: SqliteDatabase,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      id         INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL DEFAULT ${NOW_ISO}
    ) STRICT`);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    db.transaction(() => {
      if (db.get('SELECT 1 AS done FROM schema_migrations WHERE id = ?', m.id) !== undefined)
        return;
      db.exec(m.sql);
      db.run('INSERT INTO schema_migrations (id, name) VALUES (?, ?)', m.id, m.name);
      applied.push(m.id);
    });
  }
  return applied;
}
