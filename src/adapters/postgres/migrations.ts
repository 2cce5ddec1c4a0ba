import type { Database } from './database.ts';

export interface Migration {
  /** Applied in increasing order; never renumber or edit one that has shipped. */
  id: number;
  name: string;
  sql: string;
}

/**
 * The schema, as the list of steps that build it. Each runs once per database, in its own
 * transaction with the migration record, so a failed step leaves nothing half-applied.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'rulesets',
    sql: `
      CREATE TABLE ruleset_versions (
        version      integer PRIMARY KEY,
        rules        json NOT NULL,  -- json, not jsonb: kept exactly as published
        rule_count   integer NOT NULL,
        content_hash text NOT NULL,
        author       text NOT NULL,
        comment      text NOT NULL DEFAULT '',
        source       text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      -- One row: which version every replica evaluates. Versions themselves never change.
      CREATE TABLE ruleset_active (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        version    integer NOT NULL REFERENCES ruleset_versions (version),
        changed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ruleset_audit (
        id           bigserial PRIMARY KEY,
        action       text NOT NULL CHECK (action IN ('seed', 'publish', 'rollback')),
        version      integer NOT NULL REFERENCES ruleset_versions (version),
        from_version integer REFERENCES ruleset_versions (version),
        actor        text NOT NULL,
        comment      text NOT NULL DEFAULT '',
        at           timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 2,
    name: 'risk_windows',
    sql: `
      -- DESIGN.md §4.8. Replicas add partial aggregates (additive upserts); money is numeric so
      -- that sums are exact; the average and the flag derive from the stored totals.
      CREATE TABLE risk_windows (
        window_start           timestamptz NOT NULL,
        dimension              text NOT NULL
          CHECK (dimension IN ('all', 'merchant_category', 'location', 'channel')),
        dimension_value        text NOT NULL,
        window_end             timestamptz NOT NULL,
        total_amount           numeric NOT NULL,
        transaction_count      bigint NOT NULL,
        high_risk_transactions bigint NOT NULL,
        flagged_transactions   bigint NOT NULL,
        risk_score_sum         bigint NOT NULL,
        max_risk_score         integer NOT NULL,
        avg_risk_score         numeric GENERATED ALWAYS AS
          (round(risk_score_sum::numeric / transaction_count, 2)) STORED,
        risk_flag              boolean GENERATED ALWAYS AS (high_risk_transactions > 0) STORED,
        updated_at             timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (window_start, dimension, dimension_value)
      );
      CREATE INDEX risk_windows_by_dimension ON risk_windows (dimension, window_start);
      -- One row per applied flush, written in the same statement as its upserts: a retried
      -- flush finds its id and adds nothing. Old ids are pruned (see pg-window-store.ts).
      CREATE TABLE risk_window_flushes (
        flush_id   text PRIMARY KEY,
        flushed_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 3,
    name: 'risk_flag_outbox',
    sql: `
      -- DESIGN.md §4.7: each flag stays here until the broker acknowledged it. Relays of every
      -- replica claim due rows with FOR UPDATE SKIP LOCKED and push next_attempt_at forward
      -- as a lease; a relay that dies leaves its rows to be claimed again when the lease ends.
      CREATE TABLE risk_flag_outbox (
        flag_id         uuid PRIMARY KEY,
        payload         json NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_error      text
      );
      CREATE INDEX risk_flag_outbox_due ON risk_flag_outbox (next_attempt_at);
    `,
  },
  {
    id: 4,
    name: 'decision_log',
    sql: `
      -- Every scored transaction (replays excluded), for rule performance against labels.
      CREATE TABLE risk_decisions (
        transaction_id  text PRIMARY KEY,
        event_time_ms   bigint NOT NULL,
        account_id      text NOT NULL,
        decision        text NOT NULL CHECK (decision IN ('approve', 'review', 'decline')),
        risk_score      smallint NOT NULL,
        rules           text[] NOT NULL,
        shadow_rules    text[] NOT NULL,
        ruleset_version text NOT NULL,
        logged_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX risk_decisions_by_event_time ON risk_decisions (event_time_ms);
      -- Outcome labels: every one received (the history), and the last per transaction.
      CREATE TABLE risk_labels (
        id             bigserial PRIMARY KEY,
        transaction_id text NOT NULL,
        label          text NOT NULL CHECK (label IN ('fraud', 'legit')),
        source         text NOT NULL,
        reported_at    timestamptz NOT NULL,
        received_at    timestamptz NOT NULL
      );
      CREATE INDEX risk_labels_by_transaction ON risk_labels (transaction_id, id);
      CREATE TABLE risk_label_current (
        transaction_id text PRIMARY KEY,
        label          text NOT NULL CHECK (label IN ('fraud', 'legit')),
        label_id       bigint NOT NULL
      );
      -- Review cases, one per transaction; seq is the queue's order (oldest opened first).
      CREATE TABLE risk_cases (
        seq            bigserial UNIQUE,
        case_id        uuid PRIMARY KEY,
        transaction_id text NOT NULL UNIQUE,
        status         text NOT NULL CHECK (status IN ('open', 'claimed', 'resolved')),
        decision       text NOT NULL,
        risk_score     smallint NOT NULL,
        reasons        text[] NOT NULL,
        opened_at      timestamptz NOT NULL DEFAULT now(),
        assignee       text,
        claimed_at     timestamptz,
        outcome        text CHECK (outcome IN ('fraud', 'legit')),
        comment        text,
        resolved_at    timestamptz
      );
      CREATE INDEX risk_cases_queue ON risk_cases (status, seq);
    `,
  },
  {
    id: 5,
    name: 'users',
    sql: `
      -- DESIGN.md §4.10. Users are disabled, never deleted: the audit trail names them.
      CREATE TABLE users (
        username      text PRIMARY KEY,
        role          text NOT NULL CHECK (role IN ('viewer', 'analyst', 'publisher', 'admin')),
        password_hash text,  -- scrypt, parameters and salt included; null: token only
        disabled      boolean NOT NULL DEFAULT false,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE FUNCTION users_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'users are never deleted: disable them'; END $$;
      CREATE TRIGGER users_no_delete BEFORE DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION users_no_delete();
      -- At most one API token per user; token_id is the public half that finds the hash.
      CREATE TABLE user_tokens (
        token_id    text PRIMARY KEY,
        username    text NOT NULL UNIQUE REFERENCES users (username),
        secret_hash text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      -- id_hash is the SHA-256 of the session id; times are epoch milliseconds of the
      -- service's clock. No foreign key: a bootstrap (ADMIN_TOKEN) session has no user row.
      CREATE TABLE user_sessions (
        id_hash       text PRIMARY KEY,
        username      text NOT NULL,
        bootstrap     boolean NOT NULL,
        created_at_ms bigint NOT NULL,
        last_seen_ms  bigint NOT NULL,
        expires_at_ms bigint NOT NULL
      );
      CREATE INDEX user_sessions_by_user ON user_sessions (username);
      CREATE INDEX user_sessions_by_expiry ON user_sessions (expires_at_ms);
    `,
  },
  {
    id: 6,
    name: 'ruleset_proposals',
    sql: `
      -- Four-eyes publishing (RULES_APPROVAL=required): a proposal waits for another publisher.
      CREATE TABLE ruleset_proposals (
        id                      bigserial PRIMARY KEY,
        rules                   json NOT NULL,
        rule_count              integer NOT NULL,
        content_hash            text NOT NULL,
        author                  text NOT NULL,
        comment                 text NOT NULL DEFAULT '',
        expected_active_version integer REFERENCES ruleset_versions (version),
        status                  text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'approved', 'rejected')),
        created_at              timestamptz NOT NULL DEFAULT now(),
        decided_by              text,
        decided_at              timestamptz,
        decision_comment        text,
        version                 integer REFERENCES ruleset_versions (version)
      );
      CREATE INDEX ruleset_proposals_by_status ON ruleset_proposals (status, id);
      -- The audit also records proposals and their rejection, which activate no version.
      ALTER TABLE ruleset_audit DROP CONSTRAINT ruleset_audit_action_check;
      ALTER TABLE ruleset_audit ADD CONSTRAINT ruleset_audit_action_check
        CHECK (action IN ('seed', 'publish', 'rollback', 'propose', 'approve', 'reject'));
      ALTER TABLE ruleset_audit ALTER COLUMN version DROP NOT NULL;
      ALTER TABLE ruleset_audit ADD CONSTRAINT ruleset_audit_version_check
        CHECK ((version IS NULL) = (action IN ('propose', 'reject')));
      ALTER TABLE ruleset_audit ADD COLUMN proposal_id bigint REFERENCES ruleset_proposals (id);
    `,
  },
  {
    id: 7,
    name: 'risk_case_event_outbox',
    sql: `
      -- DESIGN.md §4.9: a resolved case's event, inserted in the transaction that resolves the
      -- case (a transactional outbox), kept until the broker acknowledged it; claimed and
      -- leased like risk_flag_outbox.
      CREATE TABLE risk_case_event_outbox (
        event_id        uuid PRIMARY KEY,
        payload         json NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_error      text
      );
      CREATE INDEX risk_case_event_outbox_due ON risk_case_event_outbox (next_attempt_at);
    `,
  },
  {
    id: 8,
    name: 'model_registry',
    sql: `
      -- Models uploaded through the admin API: immutable versions (the artifact kept as the
      -- compact JSON text that was hashed), each role's active and shadow pointers, the audit.
      CREATE TABLE model_versions (
        id          bigserial PRIMARY KEY,
        role        text NOT NULL,
        version     text NOT NULL,
        seq         integer NOT NULL,
        format      text NOT NULL,
        sha256      text NOT NULL,
        bytes       integer NOT NULL,
        artifact    text NOT NULL,
        uploaded_by text NOT NULL,
        uploaded_at timestamptz NOT NULL DEFAULT now(),
        comment     text NOT NULL DEFAULT '',
        source      text NOT NULL CHECK (source IN ('seed', 'file', 'api')),
        UNIQUE (role, seq),
        UNIQUE (role, sha256)
      );
      CREATE TABLE model_roles (
        role       text PRIMARY KEY,
        active_id  bigint REFERENCES model_versions (id),
        shadow_id  bigint REFERENCES model_versions (id),
        changed_at timestamptz NOT NULL DEFAULT now(),
        CHECK (active_id IS NULL OR shadow_id IS NULL OR active_id <> shadow_id)
      );
      CREATE TABLE model_audit (
        id            bigserial PRIMARY KEY,
        role          text NOT NULL,
        action        text NOT NULL
          CHECK (action IN ('seed', 'upload', 'shadow', 'unshadow', 'promote', 'rollback')),
        model_id      bigint NOT NULL REFERENCES model_versions (id),
        from_model_id bigint REFERENCES model_versions (id),
        actor         text NOT NULL,
        comment       text NOT NULL DEFAULT '',
        at            timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX model_audit_by_model ON model_audit (role, model_id, id);
    `,
  },
];

/** Any constant works; it only has to be the same for every replica of this service. */
const MIGRATION_LOCK_KEY = 0x7269736b; // "risk"

/**
 * Brings the schema up to date. Replicas starting together serialise on an advisory lock, so
 * each step runs exactly once. Returns the ids applied by this call.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        id         integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = new Set(
      (await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => r.id),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}
