import type {
  ModelAuditEntry,
  ModelRegistryStore,
  ModelVersionSummary,
  RolePointers,
  StoredModel,
  UploadInput,
} from '../../pipeline/model-registry-store.ts';
import { modelRefusals } from '../../pipeline/model-registry-store.ts';
import type { Database, Queryable } from './database.ts';

/** Every replica LISTENs here; the payload is the role whose pointers changed. */
export const MODELS_CHANNEL = 'risk_models_changed';

/** Serialises registry changes across replicas (the ruleset and migration locks are others). */
const MODELS_LOCK_KEY = 0x6d6f646c; // "modl"

const SUMMARY_COLUMNS = `id::int AS id, role, version, seq, format, sha256, bytes, uploaded_by,
  to_char(uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS uploaded_at,
  comment, source`;
const POINTER_COLUMNS = 'role, active_id::int AS active, shadow_id::int AS shadow';

/** Model versions in a PostgreSQL server. Run `migrate` first. */
export function createPgModelRegistryStore(db: Database): ModelRegistryStore {
  async function summary(q: Queryable, id: number): Promise<ModelVersionSummary | null> {
    const rows = await q.query<ModelVersionSummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM model_versions WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }
  async function mustGet(q: Queryable, id: number): Promise<ModelVersionSummary> {
    const m = await summary(q, id);
    if (m === null) throw modelRefusals.noSuchModel(id);
    return m;
  }
  async function pointersOf(q: Queryable, role: string): Promise<RolePointers | null> {
    const rows = await q.query<RolePointers>(
      `SELECT ${POINTER_COLUMNS} FROM model_roles WHERE role = $1`,
      [role],
    );
    return rows[0] ?? null;
  }
  async function setPointers(
    q: Queryable,
    role: string,
    active: number | null,
    shadow: number | null,
  ): Promise<void> {
    await q.query(
      `INSERT INTO model_roles (role, active_id, shadow_id) VALUES ($1, $2, $3)
       ON CONFLICT (role) DO UPDATE SET active_id = excluded.active_id,
         shadow_id = excluded.shadow_id, changed_at = now()`,
      [role, active, shadow],
    );
    // Delivered on commit only, so a listener never loads a change that was rolled back.
    await q.query('SELECT pg_notify($1, $2)', [MODELS_CHANNEL, role]);
  }
  async function record(q: Queryable, e: Omit<ModelAuditEntry, 'id' | 'at'>): Promise<void> {
    await q.query(
      `INSERT INTO model_audit (role, action, model_id, from_model_id, actor, comment)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.role, e.action, e.model_id, e.from_model_id, e.actor, e.comment],
    );
  }
  async function insert(q: Queryable, input: UploadInput): Promise<ModelVersionSummary> {
    const [row] = await q.query<{ id: number }>(
      `INSERT INTO model_versions
         (role, version, seq, format, sha256, bytes, artifact, uploaded_by, comment, source)
       SELECT $1, $2, COALESCE(max(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9
         FROM model_versions WHERE role = $1
       RETURNING id::int AS id`,
      [
        input.role,
        input.version,
        input.format,
        input.sha256,
        Buffer.byteLength(input.artifact),
        input.artifact,
        input.actor,
        input.comment,
        input.source,
      ],
    );
    if (row === undefined) throw new Error('model version vanished after insert');
    await q.query(`INSERT INTO model_roles (role) VALUES ($1) ON CONFLICT (role) DO NOTHING`, [
      input.role,
    ]);
    return mustGet(q, row.id);
  }
  /** Runs `fn` holding the registry lock: the changes of all replicas in turn. */
  function locked<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [MODELS_LOCK_KEY]);
      return fn(q);
    });
  }

  return {
    upload: (input) =>
      locked(async (q) => {
        const [same] = await q.query<{ id: number }>(
          'SELECT id::int AS id FROM model_versions WHERE role = $1 AND sha256 = $2',
          [input.role, input.sha256],
        );
        if (same !== undefined) return { model: await mustGet(q, same.id), created: false };
        const model = await insert(q, input);
        await record(q, {
          role: model.role,
          action: 'upload',
          model_id: model.id,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        return { model, created: true };
      }),
    seedIfEmpty: (input) =>
      locked(async (q) => {
        const any = await q.query('SELECT 1 FROM model_versions WHERE role = $1 LIMIT 1', [
          input.role,
        ]);
        if (any.length > 0) return null;
        const model = await insert(q, input);
        await setPointers(q, model.role, model.id, null);
        await record(q, {
          role: model.role,
          action: 'seed',
          model_id: model.id,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        return model;
      }),
    promote: (input) =>
      locked(async (q) => {
        const model = await mustGet(q, input.id);
        const p = await pointersOf(q, model.role);
        if (p?.active === model.id) throw modelRefusals.alreadyActive(model);
        const from = p?.active ?? null;
        await setPointers(
          q,
          model.role,
          model.id,
          p?.shadow === model.id ? null : (p?.shadow ?? null),
        );
        await record(q, {
          role: model.role,
          action: 'promote',
          model_id: model.id,
          from_model_id: from,
          actor: input.actor,
          comment: input.comment,
        });
        return { model, from };
      }),
    shadow: (input) =>
      locked(async (q) => {
        const model = await mustGet(q, input.id);
        const p = await pointersOf(q, model.role);
        if (p?.active === model.id) throw modelRefusals.activeCannotShadow(model);
        if (p?.shadow === model.id) throw modelRefusals.alreadyShadow(model);
        const from = p?.shadow ?? null;
        await setPointers(q, model.role, p?.active ?? null, model.id);
        await record(q, {
          role: model.role,
          action: 'shadow',
          model_id: model.id,
          from_model_id: from,
          actor: input.actor,
          comment: input.comment,
        });
        return { model, from };
      }),
    clearShadow: (input) =>
      locked(async (q) => {
        const p = await pointersOf(q, input.role);
        if (p?.shadow == null) throw modelRefusals.noShadow(input.role);
        await setPointers(q, input.role, p.active, null);
        await record(q, {
          role: input.role,
          action: 'unshadow',
          model_id: p.shadow,
          from_model_id: null,
          actor: input.actor,
          comment: input.comment,
        });
        return { from: p.shadow };
      }),
    rollback: (input) =>
      locked(async (q) => {
        const p = await pointersOf(q, input.role);
        if (p?.active == null) throw modelRefusals.noActive(input.role);
        const current = await mustGet(q, p.active);
        let to = input.to;
        if (to === undefined) {
          // "Undo": the model active before the change that activated the current one.
          const [last] = await q.query<{ from_model_id: number | null }>(
            `SELECT from_model_id::int AS from_model_id FROM model_audit
              WHERE role = $1 AND model_id = $2 AND action IN ('seed', 'promote', 'rollback')
              ORDER BY id DESC LIMIT 1`,
            [input.role, current.id],
          );
          if (last?.from_model_id == null) throw modelRefusals.noEarlierVersion(current);
          to = last.from_model_id;
        }
        const target = await mustGet(q, to);
        if (target.role !== input.role) throw modelRefusals.otherRole(target, input.role);
        if (target.id === current.id) throw modelRefusals.alreadyActive(target);
        await setPointers(q, input.role, target.id, p.shadow === target.id ? null : p.shadow);
        await record(q, {
          role: input.role,
          action: 'rollback',
          model_id: target.id,
          from_model_id: current.id,
          actor: input.actor,
          comment: input.comment,
        });
        return { model: target, from: current.id };
      }),
    pointers: () =>
      db.query<RolePointers>(`SELECT ${POINTER_COLUMNS} FROM model_roles ORDER BY role`),
    async get(id) {
      const rows = await db.query<StoredModel>(
        `SELECT ${SUMMARY_COLUMNS}, artifact FROM model_versions WHERE id = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
    list: (role, limit) =>
      db.query<ModelVersionSummary>(
        `SELECT ${SUMMARY_COLUMNS} FROM model_versions
          WHERE $1::text IS NULL OR role = $1 ORDER BY id DESC LIMIT $2`,
        [role ?? null, limit],
      ),
    audit: (role, limit) =>
      db.query<ModelAuditEntry>(
        `SELECT id::int AS id, role, action, model_id::int AS model_id,
                from_model_id::int AS from_model_id, actor, comment,
                to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
           FROM model_audit WHERE $1::text IS NULL OR role = $1 ORDER BY id DESC LIMIT $2`,
        [role ?? null, limit],
      ),
    watch: (onChange) =>
      db.listen(
        MODELS_CHANNEL,
        (role) => onChange(role),
        () => onChange(null),
      ),
    close: () => Promise.resolve(),
  };
}
