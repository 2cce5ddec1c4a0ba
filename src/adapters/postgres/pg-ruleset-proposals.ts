import type {
  DecideInput,
  ProposalStatus,
  ProposeInput,
  RulesetProposal,
  RulesetProposalSummary,
} from '../../pipeline/ruleset-store.ts';
import { proposalRefusals } from '../../pipeline/ruleset-store.ts';
import type { Queryable } from './database.ts';

const iso = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const PROPOSAL_COLUMNS = `id::int AS id, rule_count, content_hash, author, comment,
  expected_active_version, status, ${iso('created_at')} AS created_at, decided_by,
  ${iso('decided_at')} AS decided_at, decision_comment, version`;

/** Ids are bigserial, but beyond PostgreSQL's integer none exists yet (and a cast would fail). */
export const MAX_PROPOSAL_ID = 2_147_483_647;

async function audit(
  q: Queryable,
  action: 'propose' | 'reject',
  actor: string,
  comment: string,
  id: number,
): Promise<void> {
  await q.query(
    `INSERT INTO ruleset_audit (action, version, from_version, actor, comment, proposal_id)
     VALUES ($1, NULL, NULL, $2, $3, $4)`,
    [action, actor, comment, id],
  );
}

/**
 * The statements of four-eyes proposals; pg-ruleset-store.ts runs the writes inside its locked
 * transaction, beside the version an approval publishes.
 */
export const pgProposals = {
  async get(q: Queryable, id: number, forUpdate = false): Promise<RulesetProposal | null> {
    if (id > MAX_PROPOSAL_ID) return null;
    const rows = await q.query<RulesetProposal>(
      `SELECT ${PROPOSAL_COLUMNS}, rules FROM ruleset_proposals WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  },

  /** The proposal, locked, if it is still pending; 404 or 409 otherwise. */
  async pending(q: Queryable, id: number): Promise<RulesetProposal> {
    const p = await pgProposals.get(q, id, true);
    if (p === null) throw proposalRefusals.unknown(id);
    if (p.status !== 'pending') throw proposalRefusals.decided(p);
    return p;
  },

  /** Stores a pending proposal with its `propose` audit record. */
  async insert(
    q: Queryable,
    input: ProposeInput,
    expectedActive: number | null,
  ): Promise<RulesetProposal | null> {
    const [row] = await q.query<{ id: number }>(
      `INSERT INTO ruleset_proposals
         (rules, rule_count, content_hash, author, comment, expected_active_version)
       VALUES ($1::json, $2, $3, $4, $5, $6) RETURNING id::int AS id`,
      [
        JSON.stringify(input.rules),
        input.rules.length,
        input.content_hash,
        input.author,
        input.comment,
        expectedActive,
      ],
    );
    const id = row?.id ?? 0;
    await audit(q, 'propose', input.author, input.comment, id);
    return pgProposals.get(q, id);
  },

  /** Records the decision (a rejection also in the audit; an approval's is its activation). */
  async decide(
    q: Queryable,
    id: number,
    status: Exclude<ProposalStatus, 'pending'>,
    input: DecideInput,
    version: number | null,
  ): Promise<RulesetProposal> {
    await q.query(
      `UPDATE ruleset_proposals SET status = $2, decided_by = $3, decision_comment = $4,
         version = $5, decided_at = now() WHERE id = $1`,
      [id, status, input.actor, input.comment, version],
    );
    if (status === 'rejected') await audit(q, 'reject', input.actor, input.comment, id);
    const p = await pgProposals.get(q, id);
    if (p === null) throw new Error(`proposal ${id} vanished`);
    return p;
  },

  list(q: Queryable, limit: number, status?: ProposalStatus): Promise<RulesetProposalSummary[]> {
    return q.query<RulesetProposalSummary>(
      `SELECT ${PROPOSAL_COLUMNS} FROM ruleset_proposals
        WHERE $1::text IS NULL OR status = $1 ORDER BY id DESC LIMIT $2`,
      [status ?? null, limit],
    );
  },
};
