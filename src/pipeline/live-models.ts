import type { Logger } from './logger.ts';
import type { ModelRegistryStore, RolePointers } from './model-registry-store.ts';
import type { ModelRoleSpec, VersionedModel } from './model-roles.ts';

/** A registry model bound for scoring, with the id the admin API names it by. */
export interface LiveModel<M> {
  id: number;
  model: M;
}

/** A role's models at one moment: read once per scoring call, so both are of one instant. */
export interface RoleModels<M> {
  readonly active: LiveModel<M> | null;
  readonly shadow: LiveModel<M> | null;
}

/**
 * The source a scorer reads for one role: `current()` has the shape of `ModelSource` (read once
 * per call; null without an active model), `shadow()` the model scored beside it, not acting.
 */
export interface RoleModelSource<M> {
  current(): M | null;
  shadow(): M | null;
  state(): RoleModels<M>;
  close(): Promise<void>;
}

export type RoleSpecs<Roles> = {
  readonly [R in keyof Roles]: ModelRoleSpec<Roles[R] & VersionedModel>;
};

export interface LiveModelsOptions<Roles> {
  store: ModelRegistryStore;
  roles: RoleSpecs<Roles>;
  logger: Logger;
  /** The safety net for lost notifications: how often the pointers are compared (ms). */
  pollIntervalMs: number;
  /** Called after every change of a role's models (metrics). */
  onSwap?: (role: keyof Roles & string, models: RoleModels<VersionedModel>) => void;
}

export interface LiveModels<Roles> {
  source<R extends keyof Roles & string>(role: R): RoleModelSource<Roles[R]>;
  /** Loads the store's pointers now and swaps what changed; resolves when done. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const NONE: RoleModels<never> = { active: null, shadow: null };

/**
 * Every role's active and shadow models of a registry store, kept current on every replica as
 * the live ruleset is: a notification (LISTEN/NOTIFY, or in-process for the embedded stores)
 * reloads at once, a periodic comparison of the pointers catches lost ones. A role's swap is
 * one reference assignment of its {active, shadow} pair, so a scoring call that reads it once
 * uses one model from start to end. Models are parsed once per id and kept while referenced; a
 * stored artifact this service can no longer bind (features changed) is logged and the role
 * keeps what it had.
 */
export async function createLiveModels<Roles>(
  opts: LiveModelsOptions<Roles>,
): Promise<LiveModels<Roles>> {
  const { store, roles } = opts;
  const log = opts.logger.child({ component: 'models' });
  type AnyModel = VersionedModel;
  const specs = roles as Readonly<Record<string, ModelRoleSpec<AnyModel>>>;
  const states = new Map<string, RoleModels<AnyModel>>();
  /** What the states were loaded from, to see quickly whether anything moved. */
  const loaded = new Map<string, RolePointers>();
  const bound = new Map<number, AnyModel>();

  async function bind(id: number | null, role: string): Promise<LiveModel<AnyModel> | null> {
    if (id === null) return null;
    const known = bound.get(id);
    if (known !== undefined) return { id, model: known };
    const stored = await store.get(id);
    if (stored === null) throw new Error(`model ${id} vanished from the registry`);
    const spec = specs[role];
    if (spec === undefined)
      throw new Error(`model ${id} has role ${role}, which this service has not`);
    const checked = spec.parse(JSON.parse(stored.artifact) as unknown);
    if (!checked.ok) {
      const first = checked.errors[0];
      throw new Error(
        `stored ${role} model ${id} (${stored.version}) does not fit this service: ${first?.field ?? ''} ${first?.message ?? ''}`,
      );
    }
    bound.set(id, checked.model);
    return { id, model: checked.model };
  }

  async function reload(): Promise<void> {
    const pointers = await store.pointers();
    for (const p of pointers) {
      if (!(p.role in specs)) continue;
      const was = loaded.get(p.role);
      if (was !== undefined && was.active === p.active && was.shadow === p.shadow) continue;
      let next: RoleModels<AnyModel>;
      try {
        next = { active: await bind(p.active, p.role), shadow: await bind(p.shadow, p.role) };
      } catch (err) {
        log.error(
          { err: err instanceof Error ? err.message : String(err), role: p.role },
          'model registry change not applied; keeping the current models',
        );
        loaded.set(p.role, p);
        continue;
      }
      if (closed) return;
      const before = states.get(p.role) ?? NONE;
      states.set(p.role, next);
      loaded.set(p.role, p);
      const keep = new Set<number>();
      for (const s of states.values())
        for (const e of [s.active, s.shadow]) if (e !== null) keep.add(e.id);
      for (const id of bound.keys()) if (!keep.has(id)) bound.delete(id);
      opts.onSwap?.(p.role as keyof Roles & string, next);
      log.info(
        {
          role: p.role,
          active: next.active?.model.version ?? null,
          shadow: next.shadow?.model.version ?? null,
          from: {
            active: before.active?.model.version ?? null,
            shadow: before.shadow?.model.version ?? null,
          },
        },
        'models swapped',
      );
    }
  }

  let inFlight: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let lastErrorLog = 0;
  const logError = (err: unknown, msg: string): void => {
    const now = Date.now();
    if (now - lastErrorLog < 10_000) return;
    lastErrorLog = now;
    log.warn({ err }, msg);
  };

  /** One reload at a time; a request during one runs another after it (it may have missed it). */
  function refresh(): Promise<void> {
    if (inFlight !== undefined) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          await reload();
        } while (again && !closed);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }
  const refreshLogged = (): void => {
    refresh().catch((err: unknown) =>
      logError(err, 'reloading the models failed; keeping the current ones'),
    );
  };

  await refresh();
  const unwatch = await store.watch(() => refreshLogged());
  const timer = setInterval(refreshLogged, opts.pollIntervalMs);
  timer.unref();

  const close = async (): Promise<void> => {
    closed = true;
    clearInterval(timer);
    await unwatch();
    await inFlight?.catch(() => undefined);
  };

  return {
    source<R extends keyof Roles & string>(role: R): RoleModelSource<Roles[R]> {
      const state = (): RoleModels<Roles[R]> =>
        (states.get(role) ?? NONE) as unknown as RoleModels<Roles[R]>;
      return {
        current: () => state().active?.model ?? null,
        shadow: () => state().shadow?.model ?? null,
        state,
        // The registry's live models are closed once, by their owner, not by each source.
        close: () => Promise.resolve(),
      };
    },
    refresh,
    close,
  };
}
