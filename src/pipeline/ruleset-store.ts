import { RiskError } from '../domain/errors.ts';
import type { RiskRule } from '../domain/rules/types.ts';

/** Where a version came from. */
export type RulesetOrigin = 'seed' | 'api' | 'rules-dir';

/** An immutable numbered ruleset version. */
export interface RulesetVersion {
  version: number;
  rules: RiskRule[];
  rule_count: number;
  /** `sha256:` + hex digest of the canonical JSON of the rules. */
  content_hash: string;
  author: string;
  comment: string;
  source: RulesetOrigin;
  created_at: string;
}

export type RulesetVersionSummary = Omit<RulesetVersion, 'rules'> & { active: boolean };

export interface RulesetAuditEntry {
  id: number;
  /**
   * `approve` activates a proposal's rules as a new version; `propose` and `reject` change no
   * version (their `version` is null) and name the proposal.
   */
  action: 'seed' | 'publish' | 'rollback' | 'propose' | 'approve' | 'reject';
  version: number | null;
  from_version: number | null;
  /** The proposal concerned (four-eyes publishing, RULES_APPROVAL=required). */
  proposal_id: number | null;
  actor: string;
  comment: string;
  at: string;
}

export type ProposalStatus = 'pending' | 'approved' | 'rejected';

/** A ruleset waiting for a second person (DESIGN.md §4.10, RULES_APPROVAL=required). */
export interface RulesetProposal {
  id: number;
  rules: RiskRule[];
  rule_count: number;
  content_hash: string;
  author: string;
  comment: string;
  /** Approval publishes only while this version is still the active one. */
  expected_active_version: number | null;
  status: ProposalStatus;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_comment: string | null;
  /** The version its approval published. */
  version: number | null;
}

export type RulesetProposalSummary = Omit<RulesetProposal, 'rules'>;

export interface ProposeInput {
  /** Already validated. */
  rules: RiskRule[];
  content_hash: string;
  author: string;
  comment: string;
  /** Default: the version active when the proposal is stored. */
  expectedActive?: number;
}

export interface DecideInput {
  id: number;
  actor: string;
  comment: string;
}

export interface PublishInput {
  /** Already validated (validateRuleset). */
  rules: RiskRule[];
  content_hash: string;
  author: string;
  comment: string;
  source: RulesetOrigin;
  /** Refuse (RISK_ERR_CONFLICT) unless this is still the active version: optimistic locking. */
  expectedActive?: number;
}

export interface PublishResult {
  active: RulesetVersion;
  /** False when the rules equal the active version's: nothing was written. */
  changed: boolean;
}

export interface RollbackInput {
  /** The version to activate; default: the one active before the current one. */
  to?: number;
  actor: string;
  comment: string;
}

/**
 * Ruleset versions, the active pointer and the audit trail (DESIGN.md §4.6). Versions are never
 * changed or deleted; publishing adds one and activates it, rolling back moves the pointer.
 * Every change is announced to `watch` callbacks of every replica sharing the store.
 */
export interface RulesetStore {
  active(): Promise<RulesetVersion | null>;
  /** The active version's number only: the cheap periodic check. */
  activeVersion(): Promise<number | null>;
  /** Writes version 1 from `input` if the store holds no version yet; null if it does. */
  seedIfEmpty(input: Omit<PublishInput, 'expectedActive'>): Promise<RulesetVersion | null>;
  publish(input: PublishInput): Promise<PublishResult>;
  rollback(input: RollbackInput): Promise<{ active: RulesetVersion; from: number }>;
  get(version: number): Promise<RulesetVersion | null>;
  /** Newest first. */
  list(limit: number): Promise<RulesetVersionSummary[]>;
  /** Newest first. */
  audit(limit: number): Promise<RulesetAuditEntry[]>;
  /**
   * Stores a pending proposal (audit `propose`). Rules equal to the active version's store
   * nothing: `null`. A stale `expectedActive` is a RISK_ERR_CONFLICT.
   */
  propose(input: ProposeInput): Promise<RulesetProposal | null>;
  /** Newest first; all statuses unless one is named. */
  proposals(limit: number, status?: ProposalStatus): Promise<RulesetProposalSummary[]>;
  proposal(id: number): Promise<RulesetProposal | null>;
  /**
   * Publishes a pending proposal as a new version, in one transaction with the proposal's state
   * and the audit (`approve`, by `actor`). Refused: an unknown id (404), a decided proposal or a
   * stale expected version (409), and the proposal's own author (403: four eyes).
   */
  approve(input: DecideInput): Promise<{ proposal: RulesetProposal; active: RulesetVersion }>;
  /** Closes a pending proposal without publishing (audit `reject`). */
  reject(input: DecideInput): Promise<RulesetProposal>;
  /** Calls `onChange` (with the new active version when known) after every change. */
  watch(onChange: (version: number | null) => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What every store throws when `expectedActive` is no longer the active version. */
export function staleActiveVersion(current: number | null, expected: number): RiskError {
  return new RiskError(
    'RISK_ERR_CONFLICT',
    `the active ruleset is version ${current ?? 'none'}, not ${expected}: reload and try again`,
    [{ field: '/expected_active_version', message: `active version is ${current ?? 'none'}` }],
  );
}

/** The proposal refusals every store gives, worded once. */
export const proposalRefusals = {
  unknown: (id: number) => new RiskError('RISK_ERR_NOT_FOUND', `no ruleset proposal ${id}`),
  decided: (p: { id: number; status: ProposalStatus; decided_by: string | null }) =>
    new RiskError(
      'RISK_ERR_CONFLICT',
      `proposal ${p.id} is already ${p.status}${p.decided_by === null ? '' : ` by ${p.decided_by}`}`,
    ),
  ownProposal: (p: { id: number; author: string }) =>
    new RiskError(
      'RISK_ERR_FORBIDDEN',
      `four eyes: ${p.author} proposed ${p.id}, so another publisher must approve it`,
    ),
};

/** The rollback refusals every store gives (DESIGN.md §4.6), worded once. */
export const rollbackRefusals = {
  noEarlierVersion: (current: number) =>
    new RiskError(
      'RISK_ERR_NOT_FOUND',
      `version ${current} has no earlier version to roll back to; name one with "version"`,
    ),
  alreadyActive: (version: number) =>
    new RiskError('RISK_ERR_CONFLICT', `version ${version} is already active`, [
      { field: '/version', message: 'already active' },
    ]),
  noSuchVersion: (version: number) =>
    new RiskError('RISK_ERR_NOT_FOUND', `ruleset version ${version} does not exist`, [
      { field: '/version', message: 'no such version' },
    ]),
};
