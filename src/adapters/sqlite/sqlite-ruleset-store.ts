import { RiskError } from '../../domain/errors.ts';
import type { RiskRule } from '../../domain/rules/types.ts';
import type {
  PublishInput,
  PublishResult,
  RulesetAuditEntry,
  RulesetProposal,
  RulesetOrigin,
  RulesetStore,
  RulesetVersion,
  RulesetVersionSummary,
} from '../../pipeline/ruleset-store.ts';
import {
  proposalRefusals,
  rollbackRefusals,
  staleActiveVersion,
} from '../../pipeline/ruleset-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { sqliteProposals } from './sqlite-ruleset-proposals.ts';

/** In-process channel: the payload is the newly active version. */
export const RULESET_CHANNEL = 'risk_rules_changed';

interface VersionRow {
  version: number;
  rule_count: number;
  content_hash: string;
  author: string;
  comment: string;
  source: RulesetOrigin;
  created_at: string;
}

const VERSION_COLUMNS =
  'v.version, v.rule_count, v.content_hash, v.author, v.comment, v.source, v.created_at';

const toVersion = (row: VersionRow & { rules: string }): RulesetVersion => ({
  version: row.version,
  rules: JSON.parse(row.rules) as RiskRule[],
  rule_count: row.rule_count,
  content_hash: row.content_hash,
  author: row.author,
  comment: row.comment,
  source: row.source,
  created_at: row.created_at,
});

/**
 * Ruleset versions in the embedded SQLite database: the semantics of the PostgreSQL store
 * (pg-ruleset-store.ts), checked by the same conformance suite. Run `migrateSqlite` first.
 *
 * Publishes and rollbacks are write transactions (BEGIN IMMEDIATE), so they serialise with
 * those of any other process on the same file. `watch` hears the changes made through this
 * database handle; a change by another process is found by the live ruleset's periodic
 * `activeVersion` check (RULES_POLL_INTERVAL_MS), SQLite having no LISTEN/NOTIFY.
 */
export function createSqliteRulesetStore(db: SqliteDatabase): RulesetStore {
  const proposals = sqliteProposals(db);
  function get(version: number): RulesetVersion | null {
    const row = db.get<VersionRow & { rules: string }>(
      `SELECT ${VERSION_COLUMNS}, v.rules FROM ruleset_versions v WHERE v.version = ?`,
      version,
    );
    return row === undefined ? null : toVersion(row);
  }

  const activeVersion = (): number | null =>
    db.get<{ version: number }>('SELECT version FROM ruleset_active')?.version ?? null;

  function activate(
    version: number,
    action: RulesetAuditEntry['action'],
    from: number | null,
    actor: string,
    comment: string,
    proposalId: number | null = null,
  ): void {
    db.run(
      `INSERT INTO ruleset_active (singleton, version) VALUES (1, ?)
       ON CONFLICT (singleton) DO UPDATE
         SET version = excluded.version, changed_at = excluded.changed_at`,
      version,
    );
    db.run(
      `INSERT INTO ruleset_audit (action, version, from_version, actor, comment, proposal_id)
       VALUES (?, ?, ?, ?, ?, ?)`,
      action,
      version,
      from,
      actor,
      comment,
      proposalId,
    );
  }

  function insertVersion(
    input: Omit<PublishInput, 'expectedActive'>,
    action: 'seed' | 'publish' | 'approve',
    from: number | null,
    approval?: { proposalId: number; actor: string; comment: string },
  ): RulesetVersion {
    const next = db.get<{ version: number }>(
      'SELECT COALESCE(max(version), 0) + 1 AS version FROM ruleset_versions',
    );
    const version = next?.version ?? 1;
    db.run(
      `INSERT INTO ruleset_versions (version, rules, rule_count, content_hash, author, comment, source)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      version,
      JSON.stringify(input.rules),
      input.rules.length,
      input.content_hash,
      input.author,
      input.comment,
      input.source,
    );
    if (approval === undefined) activate(version, action, from, input.author, input.comment);
    else activate(version, action, from, approval.actor, approval.comment, approval.proposalId);
    const stored = get(version);
    if (stored === null) throw new Error(`ruleset version ${version} vanished after insert`);
    return stored;
  }

  /**
   * One write transaction; announces the new active version once it committed. Async only
   * for the port: the work itself is synchronous, so it cannot interleave with another call.
   */
  function change<T>(fn: () => T, activeOf: (result: T) => number | null): Promise<T> {
    try {
      const result = db.transaction(fn);
      const version = activeOf(result);
      if (version !== null) db.notify(RULESET_CHANNEL, String(version));
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  const read = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    active: () =>
      read(() => {
        const row = db.get<VersionRow & { rules: string }>(
          `SELECT ${VERSION_COLUMNS}, v.rules
             FROM ruleset_active a JOIN ruleset_versions v ON v.version = a.version`,
        );
        return row === undefined ? null : toVersion(row);
      }),
    activeVersion: () => read(activeVersion),
    seedIfEmpty: (input) =>
      change(
        () => {
          const row = db.get<{ n: number }>('SELECT count(*) AS n FROM ruleset_versions');
          if ((row?.n ?? 0) > 0) return null;
          return insertVersion(input, 'seed', null);
        },
        (seeded) => seeded?.version ?? null,
      ),
    publish: (input) =>
      change(
        (): PublishResult => {
          const current = activeVersion();
          if (input.expectedActive !== undefined && input.expectedActive !== current) {
            throw staleActiveVersion(current, input.expectedActive);
          }
          if (current !== null) {
            const active = get(current);
            if (active !== null && active.content_hash === input.content_hash)
              return { active, changed: false };
          }
          return { active: insertVersion(input, 'publish', current), changed: true };
        },
        (r) => (r.changed ? r.active.version : null),
      ),
    rollback: (input) =>
      change(
        () => {
          const current = activeVersion();
          if (current === null) throw new RiskError('RISK_ERR_NOT_FOUND', 'no ruleset is active');
          let to = input.to;
          if (to === undefined) {
            // "Undo": the version active before the change that activated the current one.
            const last = db.get<{ from_version: number | null }>(
              'SELECT from_version FROM ruleset_audit WHERE version = ? ORDER BY id DESC LIMIT 1',
              current,
            );
            if (last?.from_version == null) throw rollbackRefusals.noEarlierVersion(current);
            to = last.from_version;
          }
          if (to === current) throw rollbackRefusals.alreadyActive(to);
          const target = get(to);
          if (target === null) throw rollbackRefusals.noSuchVersion(to);
          activate(to, 'rollback', current, input.actor, input.comment);
          return { active: target, from: current };
        },
        (r) => r.active.version,
      ),
    propose: (input) =>
      change(
        (): RulesetProposal | null => {
          const current = activeVersion();
          if (input.expectedActive !== undefined && input.expectedActive !== current)
            throw staleActiveVersion(current, input.expectedActive);
          if (current !== null && get(current)?.content_hash === input.content_hash) return null;
          return proposals.insert(input, input.expectedActive ?? current);
        },
        () => null,
      ),
    proposals: (limit, status) => read(() => proposals.list(limit, status)),
    proposal: (id) => read(() => proposals.get(id)),
    approve: (input) =>
      change(
        () => {
          const p = proposals.pending(input.id);
          if (p.author === input.actor) throw proposalRefusals.ownProposal(p);
          const current = activeVersion();
          if (p.expected_active_version !== current)
            throw staleActiveVersion(current, p.expected_active_version ?? 0);
          const { id, rules, content_hash, author, comment } = p;
          const active = insertVersion(
            { rules, content_hash, author, comment, source: 'api' },
            'approve',
            current,
            { proposalId: id, actor: input.actor, comment: input.comment },
          );
          return { proposal: proposals.decide(id, 'approved', input, active.version), active };
        },
        (r) => r.active.version,
      ),
    reject: (input) =>
      change(
        () => proposals.decide(proposals.pending(input.id).id, 'rejected', input, null),
        () => null,
      ),
    get: (version) => read(() => get(version)),
    list: (limit) =>
      read(() =>
        db
          .all<VersionRow & { active: number }>(
            `SELECT ${VERSION_COLUMNS}, (v.version = a.version) AS active
               FROM ruleset_versions v LEFT JOIN ruleset_active a ON 1
              ORDER BY v.version DESC LIMIT ?`,
            limit,
          )
          .map((r): RulesetVersionSummary => ({ ...r, active: r.active === 1 })),
      ),
    audit: (limit) =>
      read(() =>
        db
          .all<RulesetAuditEntry>(
            `SELECT id, action, version, from_version, proposal_id, actor, comment, at
             FROM ruleset_audit ORDER BY id DESC LIMIT ?`,
            limit,
          )
          // node:sqlite rows have no prototype; callers get plain objects.
          .map((r) => ({ ...r })),
      ),
    watch(onChange) {
      const stop = db.listen(RULESET_CHANNEL, (payload) => {
        const v = Number.parseInt(payload, 10);
        onChange(Number.isInteger(v) ? v : null);
      });
      return Promise.resolve(() => {
        stop();
        return Promise.resolve();
      });
    },
    ping: () => read(() => db.ping()),
    close: () => Promise.resolve(),
  };
}
