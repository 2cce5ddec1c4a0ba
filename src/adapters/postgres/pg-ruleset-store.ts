import { RiskError } from '../../domain/errors.ts';
import type {
  PublishInput,
  PublishResult,
  RulesetAuditEntry,
  RulesetStore,
  RulesetVersion,
  RulesetVersionSummary,
} from '../../pipeline/ruleset-store.ts';
import {
  proposalRefusals,
  rollbackRefusals,
  staleActiveVersion,
} from '../../pipeline/ruleset-store.ts';
import type { Database, Queryable } from './database.ts';
import { pgProposals } from './pg-ruleset-proposals.ts';

/** Every replica LISTENs here; the payload is the newly active version. */
export const RULESET_CHANNEL = 'risk_rules_changed';

/** Serialises publishes and rollbacks across replicas (the migration lock is another key). */
const RULESET_LOCK_KEY = 0x72756c65; // "rule"

/** A row as the SELECTs below shape it: exactly a RulesetVersion. */
type VersionRow = RulesetVersion;

const VERSION_COLUMNS = `v.version, v.rule_count, v.content_hash, v.author, v.comment, v.source,
  to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`;

/** Ruleset versions in a PostgreSQL server. Run `migrate` first. */
export function createPgRulesetStore(db: Database): RulesetStore {
  async function get(q: Queryable, version: number): Promise<RulesetVersion | null> {
    const rows = await q.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS}, v.rules FROM ruleset_versions v WHERE v.version = $1`,
      [version],
    );
    return rows[0] ?? null;
  }

  async function activeVersion(q: Queryable): Promise<number | null> {
    const rows = await q.query<{ version: number }>('SELECT version FROM ruleset_active');
    return rows[0]?.version ?? null;
  }

  async function insertVersion(
    q: Queryable,
    input: Omit<PublishInput, 'expectedActive'>,
    action: 'seed' | 'publish' | 'approve',
    from: number | null,
    approval?: { proposalId: number; actor: string; comment: string },
  ): Promise<RulesetVersion> {
    const [next] = await q.query<{ version: number }>(
      'SELECT (COALESCE(max(version), 0) + 1)::int AS version FROM ruleset_versions',
    );
    const version = next?.version ?? 1;
    await q.query(
      `INSERT INTO ruleset_versions (version, rules, rule_count, content_hash, author, comment, source)
       VALUES ($1, $2::json, $3, $4, $5, $6, $7)`,
      [
        version,
        JSON.stringify(input.rules),
        input.rules.length,
        input.content_hash,
        input.author,
        input.comment,
        input.source,
      ],
    );
    if (approval === undefined)
      await activate(q, version, action, from, input.author, input.comment);
    else
      await activate(
        q,
        version,
        action,
        from,
        approval.actor,
        approval.comment,
        approval.proposalId,
      );
    const stored = await get(q, version);
    if (stored === null) throw new Error(`ruleset version ${version} vanished after insert`);
    return stored;
  }

  async function activate(
    q: Queryable,
    version: number,
    action: RulesetAuditEntry['action'],
    from: number | null,
    actor: string,
    comment: string,
    proposalId: number | null = null,
  ): Promise<void> {
    await q.query(
      `INSERT INTO ruleset_active (singleton, version, changed_at) VALUES (true, $1, now())
       ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, changed_at = now()`,
      [version],
    );
    await q.query(
      `INSERT INTO ruleset_audit (action, version, from_version, actor, comment, proposal_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [action, version, from, actor, comment, proposalId],
    );
    // Delivered on commit only, so a listener never reloads a version that was rolled back.
    await q.query('SELECT pg_notify($1, $2)', [RULESET_CHANNEL, String(version)]);
  }

  /** Runs `fn` holding the ruleset lock: publishes and rollbacks of all replicas in turn. */
  function locked<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [RULESET_LOCK_KEY]);
      return fn(q);
    });
  }

  return {
    propose(input) {
      return locked(async (q) => {
        const current = await activeVersion(q);
        if (input.expectedActive !== undefined && input.expectedActive !== current)
          throw staleActiveVersion(current, input.expectedActive);
        if (current !== null && (await get(q, current))?.content_hash === input.content_hash)
          return null;
        return pgProposals.insert(q, input, input.expectedActive ?? current);
      });
    },
    proposals: (limit, status) => pgProposals.list(db, limit, status),
    proposal: (id) => pgProposals.get(db, id),
    approve(input) {
      return locked(async (q) => {
        const p = await pgProposals.pending(q, input.id);
        if (p.author === input.actor) throw proposalRefusals.ownProposal(p);
        const current = await activeVersion(q);
        if (p.expected_active_version !== current)
          throw staleActiveVersion(current, p.expected_active_version ?? 0);
        const { id, rules, content_hash, author, comment } = p;
        const active = await insertVersion(
          q,
          { rules, content_hash, author, comment, source: 'api' },
          'approve',
          current,
          { proposalId: id, actor: input.actor, comment: input.comment },
        );
        return {
          proposal: await pgProposals.decide(q, id, 'approved', input, active.version),
          active,
        };
      });
    },
    reject(input) {
      return locked(async (q) => {
        const p = await pgProposals.pending(q, input.id);
        return pgProposals.decide(q, p.id, 'rejected', input, null);
      });
    },
    async active() {
      const rows = await db.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS}, v.rules
           FROM ruleset_active a JOIN ruleset_versions v ON v.version = a.version`,
      );
      return rows[0] ?? null;
    },
    activeVersion: () => activeVersion(db),
    seedIfEmpty(input) {
      return locked(async (q) => {
        const [row] = await q.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM ruleset_versions',
        );
        if ((row?.n ?? 0) > 0) return null;
        return insertVersion(q, input, 'seed', null);
      });
    },
    publish(input): Promise<PublishResult> {
      return locked(async (q) => {
        const current = await activeVersion(q);
        if (input.expectedActive !== undefined && input.expectedActive !== current) {
          throw staleActiveVersion(current, input.expectedActive);
        }
        if (current !== null) {
          const active = await get(q, current);
          if (active !== null && active.content_hash === input.content_hash)
            return { active, changed: false };
        }
        return { active: await insertVersion(q, input, 'publish', current), changed: true };
      });
    },
    rollback(input) {
      return locked(async (q) => {
        const current = await activeVersion(q);
        if (current === null) throw new RiskError('RISK_ERR_NOT_FOUND', 'no ruleset is active');
        let to = input.to;
        if (to === undefined) {
          // "Undo": the version that was active before the change that activated the current one.
          const [last] = await q.query<{ from_version: number | null }>(
            `SELECT from_version FROM ruleset_audit WHERE version = $1 ORDER BY id DESC LIMIT 1`,
            [current],
          );
          if (last?.from_version == null) throw rollbackRefusals.noEarlierVersion(current);
          to = last.from_version;
        }
        if (to === current) throw rollbackRefusals.alreadyActive(to);
        const target = await get(q, to);
        if (target === null) throw rollbackRefusals.noSuchVersion(to);
        await activate(q, to, 'rollback', current, input.actor, input.comment);
        return { active: target, from: current };
      });
    },
    get: (version) => get(db, version),
    async list(limit): Promise<RulesetVersionSummary[]> {
      return db.query<RulesetVersionSummary>(
        `SELECT ${VERSION_COLUMNS}, (v.version = a.version) AS active
           FROM ruleset_versions v LEFT JOIN ruleset_active a ON true
          ORDER BY v.version DESC LIMIT $1`,
        [limit],
      );
    },
    async audit(limit): Promise<RulesetAuditEntry[]> {
      return db.query<RulesetAuditEntry>(
        `SELECT id::int AS id, action, version, from_version, proposal_id::int AS proposal_id,
                actor, comment,
                to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
           FROM ruleset_audit ORDER BY id DESC LIMIT $1`,
        [limit],
      );
    },
    watch(onChange) {
      return db.listen(
        RULESET_CHANNEL,
        (payload) => {
          const v = Number.parseInt(payload, 10);
          onChange(Number.isInteger(v) ? v : null);
        },
        () => onChange(null),
      );
    },
    ping: () => db.ping(),
    close: () => Promise.resolve(),
  };
}
