import { createHash } from 'node:crypto';
import { RiskError } from '../domain/errors.ts';
import type { LiveModels } from './live-models.ts';
import type {
  ModelAuditEntry,
  ModelOrigin,
  ModelRegistryStore,
  ModelVersionSummary,
} from './model-registry-store.ts';
import type { ModelRoleSpec, VersionedModel } from './model-roles.ts';

/** A role as `GET /v1/models` shows it. */
export interface RoleView {
  role: string;
  format: string;
  active: ModelVersionSummary | null;
  shadow: ModelVersionSummary | null;
  /** Newest first. */
  versions: ModelVersionSummary[];
}

export interface ModelUpload {
  /** The parsed artifact as it was sent. */
  artifact: unknown;
  /** The role it is meant for; default: the role whose format the artifact names. */
  role?: string;
  actor: string;
  comment: string;
  source?: ModelOrigin;
}

export interface ModelRegistryOptions {
  store: ModelRegistryStore;
  live: LiveModels<Record<string, unknown>>;
  roles: Readonly<Record<string, ModelRoleSpec<VersionedModel>>>;
}

export interface ModelRegistry {
  readonly roles: readonly string[];
  view(limit: number): Promise<RoleView[]>;
  get(id: number): Promise<ModelVersionSummary>;
  /** Validates in full before anything is stored: a bad artifact is a 400 naming each problem. */
  upload(input: ModelUpload): Promise<{ model: ModelVersionSummary; created: boolean }>;
  promote(input: { id: number; actor: string; comment: string }): Promise<{
    model: ModelVersionSummary;
    from: number | null;
  }>;
  shadow(input: { id: number; actor: string; comment: string }): Promise<{
    model: ModelVersionSummary;
    from: number | null;
  }>;
  clearShadow(input: { role: string; actor: string; comment: string }): Promise<{ from: number }>;
  rollback(input: { role: string; to?: number; actor: string; comment: string }): Promise<{
    model: ModelVersionSummary;
    from: number;
  }>;
  audit(role: string | undefined, limit: number): Promise<ModelAuditEntry[]>;
}

/** The stored form of an artifact: compact JSON, keys in the order they came. */
export function artifactText(artifact: unknown): string {
  return JSON.stringify(artifact);
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The model lifecycle use cases over a registry store (upload, shadow, promote, roll back),
 * for every role of the role table. After a change this replica swaps at once; the others on
 * their notification or their next poll.
 */
export function createModelRegistry(opts: ModelRegistryOptions): ModelRegistry {
  const { store, live, roles } = opts;
  const roleNames = Object.keys(roles).sort();
  const byFormat = new Map(Object.entries(roles).map(([role, spec]) => [spec.format, role]));

  function checkRole(role: string, field: string): void {
    if (!(role in roles))
      throw new RiskError(
        'RISK_ERR_VALIDATION',
        `${field}: unknown model role ${JSON.stringify(role)}; roles: ${roleNames.join(', ')}`,
        [{ field, message: `must be one of ${roleNames.join(', ')}` }],
      );
  }

  function roleOf(input: ModelUpload): string {
    const format =
      typeof input.artifact === 'object' && input.artifact !== null && 'format' in input.artifact
        ? input.artifact.format
        : undefined;
    if (input.role !== undefined) {
      checkRole(input.role, '/role');
      return input.role;
    }
    const role = typeof format === 'string' ? byFormat.get(format) : undefined;
    if (role !== undefined) return role;
    const formats = [...byFormat.keys()].join(', ');
    const message =
      format === undefined
        ? `an artifact names its format; this service takes ${formats}`
        : `${JSON.stringify(format)} is not a model format this service takes (${formats})`;
    throw new RiskError('RISK_ERR_VALIDATION', `invalid model artifact: /format: ${message}`, [
      { field: '/format', message },
    ]);
  }

  async function changed<T>(result: Promise<T>): Promise<T> {
    const r = await result;
    await live.refresh();
    return r;
  }

  async function mustGet(id: number): Promise<ModelVersionSummary> {
    const found = await store.get(id);
    if (found === null)
      throw new RiskError('RISK_ERR_NOT_FOUND', `model ${id} does not exist`, [
        { field: '/id', message: 'no such model' },
      ]);
    const { artifact: _artifact, ...summary } = found;
    return summary;
  }

  return {
    roles: roleNames,
    async view(limit) {
      const pointers = new Map((await store.pointers()).map((p) => [p.role, p]));
      return Promise.all(
        roleNames.map(async (role): Promise<RoleView> => {
          const versions = await store.list(role, limit);
          const p = pointers.get(role);
          const find = async (id: number | null | undefined) =>
            id == null ? null : (versions.find((v) => v.id === id) ?? (await mustGet(id)));
          return {
            role,
            format: roles[role]?.format ?? '',
            active: await find(p?.active),
            shadow: await find(p?.shadow),
            versions,
          };
        }),
      );
    },
    get: mustGet,
    async upload(input) {
      const role = roleOf(input);
      const spec = roles[role];
      if (spec === undefined) throw new Error(`role ${role} vanished`);
      const checked = spec.parse(input.artifact);
      if (!checked.ok) {
        const [first] = checked.errors;
        throw new RiskError(
          'RISK_ERR_VALIDATION',
          `invalid ${role} model artifact: ${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'}, first ${first?.field || '/'}: ${first?.message ?? ''}`,
          checked.errors,
        );
      }
      const text = artifactText(input.artifact);
      return store.upload({
        role,
        version: checked.model.version,
        format: spec.format,
        artifact: text,
        sha256: sha256Hex(text),
        actor: input.actor,
        comment: input.comment,
        source: input.source ?? 'api',
      });
    },
    promote: (input) => changed(store.promote(input)),
    shadow: (input) => changed(store.shadow(input)),
    clearShadow(input) {
      checkRole(input.role, '/role');
      return changed(store.clearShadow(input));
    },
    rollback(input) {
      checkRole(input.role, '/role');
      return changed(store.rollback(input));
    },
    audit(role, limit) {
      if (role !== undefined) checkRole(role, '/role');
      return store.audit(role, limit);
    },
  };
}
