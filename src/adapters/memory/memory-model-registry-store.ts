import type {
  ModelAuditEntry,
  ModelRegistryStore,
  ModelVersionSummary,
  RolePointers,
  StoredModel,
  UploadInput,
} from '../../pipeline/model-registry-store.ts';
import { modelRefusals } from '../../pipeline/model-registry-store.ts';

/**
 * Model versions in this process only (EMBEDDED_STORE=memory, unit tests): the semantics of the
 * PostgreSQL and SQLite stores, checked by the same conformance suite, gone at exit.
 */
export function createMemoryModelRegistryStore(
  now: () => Date = () => new Date(),
): ModelRegistryStore {
  const models: StoredModel[] = [];
  const audit: ModelAuditEntry[] = [];
  const pointers = new Map<string, RolePointers>();
  const watchers = new Set<(role: string | null) => void>();

  const summary = ({ artifact: _artifact, ...rest }: StoredModel): ModelVersionSummary => ({
    ...rest,
  });
  const pointersOf = (role: string): RolePointers => {
    let p = pointers.get(role);
    if (p === undefined) {
      p = { role, active: null, shadow: null };
      pointers.set(role, p);
    }
    return p;
  };
  function mustGet(id: number): StoredModel {
    const m = models[id - 1];
    if (m === undefined) throw modelRefusals.noSuchModel(id);
    return m;
  }
  function record(entry: Omit<ModelAuditEntry, 'id' | 'at'>): void {
    audit.push({ id: audit.length + 1, ...entry, at: now().toISOString() });
  }
  /** After the caller's promise settles, as a NOTIFY arrives after COMMIT. */
  function announce(role: string): void {
    for (const w of watchers) queueMicrotask(() => w(role));
  }
  function insert(input: UploadInput): StoredModel {
    const m: StoredModel = {
      id: models.length + 1,
      role: input.role,
      version: input.version,
      seq: models.filter((x) => x.role === input.role).length + 1,
      format: input.format,
      sha256: input.sha256,
      bytes: Buffer.byteLength(input.artifact),
      uploaded_by: input.actor,
      uploaded_at: now().toISOString(),
      comment: input.comment,
      source: input.source,
      artifact: input.artifact,
    };
    models.push(m);
    pointersOf(input.role);
    return m;
  }
  /** Runs a synchronous change as the async port expects: a throw becomes a rejection. */
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };

  return {
    upload: (input) =>
      run(() => {
        const same = models.find((m) => m.role === input.role && m.sha256 === input.sha256);
        if (same !== undefined) return { model: summary(same), created: false };
        const m = insert(input);
        record({
          role: m.role,
          action: 'upload',
          model_id: m.id,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        return { model: summary(m), created: true };
      }),
    seedIfEmpty: (input) =>
      run(() => {
        if (models.some((m) => m.role === input.role)) return null;
        const m = insert(input);
        pointersOf(m.role).active = m.id;
        record({
          role: m.role,
          action: 'seed',
          model_id: m.id,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        announce(m.role);
        return summary(m);
      }),
    promote: (input) =>
      run(() => {
        const m = mustGet(input.id);
        const p = pointersOf(m.role);
        if (p.active === m.id) throw modelRefusals.alreadyActive(m);
        const from = p.active;
        p.active = m.id;
        if (p.shadow === m.id) p.shadow = null;
        record({
          role: m.role,
          action: 'promote',
          model_id: m.id,
          from_model_id: from,
          actor: input.actor,
          comment: input.comment,
        });
        announce(m.role);
        return { model: summary(m), from };
      }),
    shadow: (input) =>
      run(() => {
        const m = mustGet(input.id);
        const p = pointersOf(m.role);
        if (p.active === m.id) throw modelRefusals.activeCannotShadow(m);
        if (p.shadow === m.id) throw modelRefusals.alreadyShadow(m);
        const from = p.shadow;
        p.shadow = m.id;
        record({
          role: m.role,
          action: 'shadow',
          model_id: m.id,
          from_model_id: from,
          actor: input.actor,
          comment: input.comment,
        });
        announce(m.role);
        return { model: summary(m), from };
      }),
    clearShadow: (input) =>
      run(() => {
        const p = pointers.get(input.role);
        if (p?.shadow == null) throw modelRefusals.noShadow(input.role);
        const from = p.shadow;
        p.shadow = null;
        record({
          role: input.role,
          action: 'unshadow',
          model_id: from,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        announce(input.role);
        return { from };
      }),
    rollback: (input) =>
      run(() => {
        const p = pointers.get(input.role);
        if (p?.active == null) throw modelRefusals.noActive(input.role);
        const current = mustGet(p.active);
        let to = input.to;
        if (to === undefined) {
          // "Undo": the model active before the change that activated the current one.
          const last = audit.findLast(
            (e) =>
              e.role === input.role &&
              e.model_id === current.id &&
              (e.action === 'seed' || e.action === 'promote' || e.action === 'rollback'),
          );
          if (last?.from_model_id == null) throw modelRefusals.noEarlierVersion(current);
          to = last.from_model_id;
        }
        const target = mustGet(to);
        if (target.role !== input.role) throw modelRefusals.otherRole(target, input.role);
        if (target.id === current.id) throw modelRefusals.alreadyActive(target);
        p.active = target.id;
        if (p.shadow === target.id) p.shadow = null;
        record({
          role: input.role,
          action: 'rollback',
          model_id: target.id,
          from_model_id: current.id,
          actor: input.actor,
          comment: input.comment,
        });
        announce(input.role);
        return { model: summary(target), from: current.id };
      }),
    pointers: () =>
      run(() =>
        [...pointers.values()].map((p) => ({ ...p })).sort((a, b) => a.role.localeCompare(b.role)),
      ),
    get: (id) => run(() => (models[id - 1] === undefined ? null : { ...mustGet(id) })),
    list: (role, limit) =>
      run(() =>
        models
          .filter((m) => role === undefined || m.role === role)
          .reverse()
          .slice(0, limit)
          .map(summary),
      ),
    audit: (role, limit) =>
      run(() =>
        audit
          .filter((e) => role === undefined || e.role === role)
          .reverse()
          .slice(0, limit)
          .map((e) => ({ ...e })),
      ),
    watch(onChange) {
      watchers.add(onChange);
      return Promise.resolve(() => {
        watchers.delete(onChange);
        return Promise.resolve();
      });
    },
    close: () => Promise.resolve(),
  };
}
