import type { RiskRule } from '../../domain/rules/types.ts';
import type {
  DecideInput,
  ProposalStatus,
  ProposeInput,
  RulesetProposal,
  RulesetProposalSummary,
} from '../../pipeline/ruleset-store.ts';
import { proposalRefusals } from '../../pipeline/ruleset-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

const PROPOSAL_COLUMNS = `id, rule_count, content_hash, author, comment, expected_active_version,
  status, created_at, decided_by, decided_at, decision_comment, version`;

/**
 * The statements of four-eyes proposals (sqlite-ruleset-store.ts runs them inside its write
 * transactions, beside the version they publish). Synchronous, as node:sqlite is.
 */
export function sqliteProposals(db: SqliteDatabase) {
  function get(id: number): RulesetProposal | null {
    const row = db.get<RulesetProposalSummary & { rules: string }>(
      `SELECT ${PROPOSAL_COLUMNS}, rules FROM ruleset_proposals WHERE id = ?`,
      id,
    );
    return row === undefined ? null : { ...row, rules: JSON.parse(row.rules) as RiskRule[] };
  }

  function mustGet(id: number): RulesetProposal {
    const p = get(id);
    if (p === null) throw proposalRefusals.unknown(id);
    return p;
  }

  function audit(action: 'propose' | 'reject', actor: string, comment: string, id: number) {
    db.run(
      `INSERT INTO ruleset_audit (action, version, from_version, actor, comment, proposal_id)
       VALUES (?, NULL, NULL, ?, ?, ?)`,
      action,
      actor,
      comment,
      id,
    );
  }

  return {
    get,
    /** The proposal if it is still pending; 404 or 409 otherwise. */
    pending(id: number): RulesetProposal {
      const p = mustGet(id);
      if (p.status !== 'pending') throw proposalRefusals.decided(p);
      return p;
    },
    /** Stores a pending proposal with its `propose` audit record. */
    insert(input: ProposeInput, expectedActive: number | null): RulesetProposal {
      const id = Number(
        db
          .statement(
            `INSERT INTO ruleset_proposals
               (rules, rule_count, content_hash, author, comment, expected_active_version)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(
            JSON.stringify(input.rules),
            input.rules.length,
            input.content_hash,
            input.author,
            input.comment,
            expectedActive,
          ).lastInsertRowid,
      );
      audit('propose', input.author, input.comment, id);
      return mustGet(id);
    },
    /** Records the decision (a rejection also in the audit; an approval's is its activation). */
    decide(
      id: number,
      status: Exclude<ProposalStatus, 'pending'>,
      input: DecideInput,
      version: number | null,
    ): RulesetProposal {
      db.run(
        `UPDATE ruleset_proposals SET status = ?, decided_by = ?, decision_comment = ?,
           version = ?, decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
        status,
        input.actor,
        input.comment,
        version,
        id,
      );
      if (status === 'rejected') audit('reject', input.actor, input.comment, id);
      return mustGet(id);
    },
    list(limit: number, status?: ProposalStatus): RulesetProposalSummary[] {
      return db
        .all<RulesetProposalSummary>(
          `SELECT ${PROPOSAL_COLUMNS} FROM ruleset_proposals
            WHERE ? IS NULL OR status = ? ORDER BY id DESC LIMIT ?`,
          status ?? null,
          status ?? null,
          limit,
        )
        .map((r) => ({ ...r }));
    },
  };
}
