import { RiskError } from '../domain/errors.ts';

/** Where a model version came from: the model file at start, its edit (embedded mode), the API. */
export type ModelOrigin = 'seed' | 'file' | 'api';

/** An immutable uploaded model, without its artifact. */
export interface ModelVersionSummary {
  /** The registry's id, unique over all roles: what the admin API names. */
  id: number;
  /** What the model is for (`anomaly`, `fraud`): each role has its own active and shadow. */
  role: string;
  /** The artifact's own `<name>-<version>`: the `model_version` that answers carry. */
  version: string;
  /** 1, 2, 3… per role, in upload order: two uploads of one artifact version stay apart. */
  seq: number;
  /** The artifact's `format` (`risk-iforest/1`). */
  format: string;
  /** Hex SHA-256 of the stored artifact text (compact JSON, keys in the uploaded order). */
  sha256: string;
  bytes: number;
  uploaded_by: string;
  uploaded_at: string;
  comment: string;
  source: ModelOrigin;
}

export interface StoredModel extends ModelVersionSummary {
  /** The artifact as compact JSON text. */
  artifact: string;
}

/** Which version of a role acts (`active`) and which is scored beside it without acting. */
export interface RolePointers {
  role: string;
  active: number | null;
  shadow: number | null;
}

export type ModelAuditAction = 'seed' | 'upload' | 'shadow' | 'unshadow' | 'promote' | 'rollback';

export interface ModelAuditEntry {
  id: number;
  role: string;
  action: ModelAuditAction;
  /** The model the action concerns (the new active or shadow; the cleared shadow for `unshadow`). */
  model_id: number;
  /** The active (or shadow) model before the action, when it replaced one. */
  from_model_id: number | null;
  actor: string;
  comment: string;
  at: string;
}

export interface UploadInput {
  role: string;
  version: string;
  format: string;
  /** Already validated by the role's parser; compact JSON. */
  artifact: string;
  sha256: string;
  actor: string;
  comment: string;
  source: ModelOrigin;
}

export interface ChangeInput {
  id: number;
  actor: string;
  comment: string;
}

export interface RoleChangeInput {
  role: string;
  actor: string;
  comment: string;
}

/**
 * Model versions, each role's active and shadow pointers, and the audit trail. Versions are
 * never changed or deleted; uploading adds one (acting nowhere until promoted or shadowed),
 * promoting and rolling back move the active pointer, shadowing moves the shadow pointer. Every
 * pointer change is announced to `watch` callbacks of every replica sharing the store.
 */
export interface ModelRegistryStore {
  /**
   * Stores a version (audit `upload`). The same artifact (sha256) uploaded again for its role
   * stores nothing and answers the existing version with `created: false`.
   */
  upload(input: UploadInput): Promise<{ model: ModelVersionSummary; created: boolean }>;
  /** Stores and activates `input` (audit `seed`) if its role has no version yet; else null. */
  seedIfEmpty(input: UploadInput): Promise<ModelVersionSummary | null>;
  /**
   * Makes a version its role's active one (audit `promote`); promoting the shadow version ends
   * its shadowing. 404 for an unknown id, 409 if it is active already.
   */
  promote(input: ChangeInput): Promise<{ model: ModelVersionSummary; from: number | null }>;
  /** Scores a version beside the active one without acting (audit `shadow`); 409 if active. */
  shadow(input: ChangeInput): Promise<{ model: ModelVersionSummary; from: number | null }>;
  /** Stops shadowing (audit `unshadow`); 404 when the role has no shadow. */
  clearShadow(input: RoleChangeInput): Promise<{ from: number }>;
  /**
   * Activates `to`, by default the version active before the change that activated the current
   * one (audit `rollback`). If the target was the shadow, shadowing ends.
   */
  rollback(
    input: RoleChangeInput & { to?: number },
  ): Promise<{ model: ModelVersionSummary; from: number }>;
  /** Every role that has a version: the cheap periodic check. */
  pointers(): Promise<RolePointers[]>;
  get(id: number): Promise<StoredModel | null>;
  /** Newest first; of one role if named. */
  list(role: string | undefined, limit: number): Promise<ModelVersionSummary[]>;
  /** Newest first; of one role if named. */
  audit(role: string | undefined, limit: number): Promise<ModelAuditEntry[]>;
  /** Calls `onChange` (with the role when known) after every pointer change. */
  watch(onChange: (role: string | null) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The refusals every store gives, worded once. */
export const modelRefusals = {
  noSuchModel: (id: number) =>
    new RiskError('RISK_ERR_NOT_FOUND', `model ${id} does not exist`, [
      { field: '/id', message: 'no such model' },
    ]),
  alreadyActive: (m: { id: number; role: string }) =>
    new RiskError('RISK_ERR_CONFLICT', `model ${m.id} is already the active ${m.role} model`),
  alreadyShadow: (m: { id: number; role: string }) =>
    new RiskError('RISK_ERR_CONFLICT', `model ${m.id} is already the ${m.role} shadow`),
  activeCannotShadow: (m: { id: number; role: string }) =>
    new RiskError(
      'RISK_ERR_CONFLICT',
      `model ${m.id} is the active ${m.role} model: a shadow is scored beside the active one, so it must be another version`,
    ),
  noShadow: (role: string) =>
    new RiskError('RISK_ERR_NOT_FOUND', `the ${role} role has no shadow model`),
  noActive: (role: string) =>
    new RiskError('RISK_ERR_NOT_FOUND', `the ${role} role has no active model`),
  noEarlierVersion: (m: { id: number; role: string }) =>
    new RiskError(
      'RISK_ERR_NOT_FOUND',
      `model ${m.id} has no earlier ${m.role} model to roll back to; name one with "to"`,
    ),
  otherRole: (m: { id: number; role: string }, role: string) =>
    new RiskError('RISK_ERR_VALIDATION', `model ${m.id} is a ${m.role} model, not ${role}`, [
      { field: '/to', message: `not a ${role} model` },
    ]),
};
