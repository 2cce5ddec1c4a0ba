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
  action: 'seed' | 'publish' | 'rollback';
  version: number;
  from_version: number | null;
  actor: string;
  comment: string;
  at: string;
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
