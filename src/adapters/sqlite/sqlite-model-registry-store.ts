import type {
  ModelAuditEntry,
  ModelRegistryStore,
  ModelVersionSummary,
  RolePointers,
  StoredModel,
  UploadInput,
} from '../../pipeline/model-registry-store.ts';
import { modelRefusals } from '../../pipeline/model-registry-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** In-process channel: the payload is the role whose pointers changed. */
export const MODELS_CHANNEL = 'risk_models_changed';

const SUMMARY_COLUMNS =
  'id, role, version, seq, format, sha256, bytes, uploaded_by, uploaded_at, comment, source';

/**
 * Model versions in the embedded SQLite database: the semantics of the PostgreSQL store,
 * checked by the same conformance suite. Run `migrateSqlite` first. Changes are write
 * transactions; `watch` hears those made through this handle, and another process's are found
 * by the live models' periodic check.
 */
export function createSqliteModelRegistryStore(db: SqliteDatabase): ModelRegistryStore {
  const summary = (id: number): ModelVersionSummary | undefined => {
    const row = db.get<ModelVersionSummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE id = ?`,
      id,
    );
    return row === undefined ? undefined : { ...row };
  };
  function mustGet(id: number): ModelVersionSummary {
    const m = summary(id);
    if (m === undefined) throw modelRefusals.noSuchModel(id);
    return m;
  }
  const pointersOf = (role: string): RolePointers | undefined => {
    const row = db.get<RolePointers>(
      'SELECT role, active_id AS active, shadow_id AS shadow FROM model_roles WHERE role = ?',
      role,
    );
    return row === undefined ? undefined : { ...row };
  };
  function setPointers(role: string, active: number | null, shadow: number | null): void {
    db.run(
      `INSERT INTO model_roles (role, active_id, shadow_id) VALUES (?, ?, ?)
       ON CONFLICT (role) DO UPDATE SET active_id = excluded.active_id,
         shadow_id = excluded.shadow_id, changed_at = excluded.changed_at`,
      role,
      active,
      shadow,
    );
  }
  function record(e: Omit<ModelAuditEntry, 'id' | 'at'>): void {
    db.run(
      `INSERT INTO model_audit (role, action, model_id, from_model_id, actor, comment)
       VALUES (?, ?, ?, ?, ?, ?)`,
      e.role,
      e.action,
      e.model_id,
      e.from_model_id,
      e.actor,
      e.comment,
    );
  }
  function insert(input: UploadInput): ModelVersionSummary {
    const seq =
      db.get<{ seq: number }>(
        'SELECT COALESCE(max(seq), 0) + 1 AS seq FROM model_versions WHERE role = ?',
        input.role,
      )?.seq ?? 1;
    db.run(
      `INSERT INTO model_versions
         (role, version, seq, format, sha256, bytes, artifact, uploaded_by, comment, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      input.role,
      input.version,
      seq,
      input.format,
      input.sha256,
      Buffer.byteLength(input.artifact),
      input.artifact,
      input.actor,
      input.comment,
      input.source,
    );
    const id = db.get<{ id: number }>('SELECT last_insert_rowid() AS id')?.id;
    if (id === undefined) throw new Error('model version vanished after insert');
    if (pointersOf(input.role) === undefined) setPointers(input.role, null, null);
    return mustGet(id);
  }
  /** One write transaction; announces the role once it committed. */
  function change<T>(fn: () => T, roleOf: (r: T) => string | null): Promise<T> {
    try {
      const result = db.transaction(fn);
      const role = roleOf(result);
      if (role !== null) db.notify(MODELS_CHANNEL, role);
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
    upload: (input) =>
      change(
        () => {
          const same = db.get<{ id: number }>(
            'SELECT id FROM model_versions WHERE role = ? AND sha256 = ?',
            input.role,
            input.sha256,
          );
          if (same !== undefined) return { model: mustGet(same.id), created: false };
          const model = insert(input);
          record({
            role: model.role,
            action: 'upload',
            model_id: model.id,
            from_model_id: null,
            actor: input.actor,
            comment: input.comment,
          });
          return { model, created: true };
        },
        () => null,
      ),
    seedIfEmpty: (input) =>
      change(
        () => {
          const any = db.get(
            'SELECT 1 AS x FROM model_versions WHERE role = ? LIMIT 1',
            input.role,
          );
          if (any !== undefined) return null;
          const model = insert(input);
          setPointers(model.role, model.id, null);
          record({
            role: model.role,
            action: 'seed',
            model_id: model.id,
            from_model_id: null,
            actor: input.actor,
            comment: input.comment,
          });
          return model;
        },
        (m) => m?.role ?? null,
      ),
    promote: (input) =>
      change(
        () => {
          const model = mustGet(input.id);
          const p = pointersOf(model.role);
          if (p?.active === model.id) throw modelRefusals.alreadyActive(model);
          const from = p?.active ?? null;
          const shadow = p?.shadow === model.id ? null : (p?.shadow ?? null);
          setPointers(model.role, model.id, shadow);
          record({
            role: model.role,
            action: 'promote',
            model_id: model.id,
            from_model_id: from,
            actor: input.actor,
            comment: input.comment,
          });
          return { model, from };
        },
        (r) => r.model.role,
      ),
    shadow: (input) =>
      change(
        () => {
          const model = mustGet(input.id);
          const p = pointersOf(model.role);
          if (p?.active === model.id) throw modelRefusals.activeCannotShadow(model);
          if (p?.shadow === model.id) throw modelRefusals.alreadyShadow(model);
          const from = p?.shadow ?? null;
          setPointers(model.role, p?.active ?? null, model.id);
          record({
            role: model.role,
            action: 'shadow',
            model_id: model.id,
            from_model_id: from,
            actor: input.actor,
            comment: input.comment,
          });
          return { model, from };
        },
        (r) => r.model.role,
      ),
    clearShadow: (input) =>
      change(
        () => {
          const p = pointersOf(input.role);
          if (p?.shadow == null) throw modelRefusals.noShadow(input.role);
          setPointers(input.role, p.active, null);
          record({
            role: input.role,
            action: 'unshadow',
            model_id: p.shadow,
            from_model_id: null,
            actor: input.actor,
            comment: input.comment,
          });
          return { from: p.shadow };
        },
        () => input.role,
      ),
    rollback: (input) =>
      change(
        () => {
          const p = pointersOf(input.role);
          if (p?.active == null) throw modelRefusals.noActive(input.role);
          const current = mustGet(p.active);
          let to = input.to;
          if (to === undefined) {
            // "Undo": the model active before the change that activated the current one.
            const last = db.get<{ from_model_id: number | null }>(
              `SELECT from_model_id FROM model_audit
                WHERE role = ? AND model_id = ? AND action IN ('seed', 'promote', 'rollback')
                ORDER BY id DESC LIMIT 1`,
              input.role,
              current.id,
            );
            if (last?.from_model_id == null) throw modelRefusals.noEarlierVersion(current);
            to = last.from_model_id;
          }
          const target = mustGet(to);
          if (target.role !== input.role) throw modelRefusals.otherRole(target, input.role);
          if (target.id === current.id) throw modelRefusals.alreadyActive(target);
          setPointers(input.role, target.id, p.shadow === target.id ? null : p.shadow);
          record({
            role: input.role,
            action: 'rollback',
            model_id: target.id,
            from_model_id: current.id,
            actor: input.actor,
            comment: input.comment,
          });
          return { model: target, from: current.id };
        },
        () => input.role,
      ),
    pointers: () =>
      read(() =>
        db
          .all<RolePointers>(
            'SELECT role, active_id AS active, shadow_id AS shadow FROM model_roles ORDER BY role',
          )
          .map((r) => ({ ...r })),
      ),
    get: (id) =>
      read(() => {
        const row = db.get<StoredModel>(
          `SELECT ${SUMMARY_COLUMNS}, artifact FROM model_versions WHERE id = ?`,
          id,
        );
        return row === undefined ? null : { ...row };
      }),
    list: (role, limit) =>
      read(() =>
        db
          .all<ModelVersionSummary>(
            `SELECT ${SUMMARY_COLUMNS} FROM model_versions
              WHERE ? IS NULL OR role = ? ORDER BY id DESC LIMIT ?`,
            role ?? null,
            role ?? null,
            limit,
          )
          .map((r) => ({ ...r })),
      ),
    audit: (role, limit) =>
      read(() =>
        db
          .all<ModelAuditEntry>(
            `SELECT id, role, action, model_id, from_model_id, actor, comment, at FROM model_audit
              WHERE ? IS NULL OR role = ? ORDER BY id DESC LIMIT ?`,
            role ?? null,
            role ?? null,
            limit,
          )
          .map((r) => ({ ...r })),
      ),
    watch(onChange) {
      const stop = db.listen(MODELS_CHANNEL, (role) => onChange(role));
      return Promise.resolve(() => {
        stop();
        return Promise.resolve();
      });
    },
    close: () => Promise.resolve(),
  };
}
