import { join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { createMemoryDecisionLog } from '../adapters/memory/memory-decision-log.ts';
import { createMemoryOutbox } from '../adapters/memory/memory-outbox.ts';
import { createMemoryModelRegistryStore } from '../adapters/memory/memory-model-registry-store.ts';
import { createMemoryRulesetStore } from '../adapters/memory/memory-ruleset-store.ts';
import { createMemoryWindowStore } from '../adapters/memory/memory-window-store.ts';
import { migrate } from '../adapters/postgres/migrations.ts';
import { createPgCaseEventOutbox } from '../adapters/postgres/pg-case-event-outbox.ts';
import { createPgDatabase } from '../adapters/postgres/pg-database.ts';
import { createPgDecisionLog } from '../adapters/postgres/pg-decision-log.ts';
import { createPgFlagOutbox } from '../adapters/postgres/pg-flag-outbox.ts';
import { createPgModelRegistryStore } from '../adapters/postgres/pg-model-registry-store.ts';
import { createPgRulesetStore } from '../adapters/postgres/pg-ruleset-store.ts';
import { createPgWindowStore } from '../adapters/postgres/pg-window-store.ts';
import type { SqliteDatabase } from '../adapters/sqlite/sqlite-database.ts';
import { SqliteOpenError, openSqliteDatabase } from '../adapters/sqlite/sqlite-database.ts';
import { createSqliteCaseEventOutbox } from '../adapters/sqlite/sqlite-case-event-outbox.ts';
import { createSqliteDecisionLog } from '../adapters/sqlite/sqlite-decision-log.ts';
import { createSqliteFlagOutbox } from '../adapters/sqlite/sqlite-flag-outbox.ts';
import { migrateSqlite } from '../adapters/sqlite/sqlite-migrations.ts';
import { createSqliteModelRegistryStore } from '../adapters/sqlite/sqlite-model-registry-store.ts';
import { createSqliteRulesetStore } from '../adapters/sqlite/sqlite-ruleset-store.ts';
import { createSqliteWindowStore } from '../adapters/sqlite/sqlite-window-store.ts';
import type { CaseEvent } from '../domain/case-event.ts';
import type { DecisionLogStore } from '../pipeline/decision-log.ts';
import type { OutboxStore } from '../pipeline/flag-outbox.ts';
import type { ModelRegistryStore } from '../pipeline/model-registry-store.ts';
import type { RulesetStore } from '../pipeline/ruleset-store.ts';
import type { WindowStore } from '../pipeline/window-store.ts';
import type { UserStore } from '../pipeline/user-store.ts';
import { createMemoryUserStore } from '../adapters/memory/memory-user-store.ts';
import { createPgUserStore } from '../adapters/postgres/pg-user-store.ts';
import { createSqliteUserStore } from '../adapters/sqlite/sqlite-user-store.ts';
import type { Config } from './config.ts';

export type StoreMode = 'postgres' | 'sqlite' | 'memory';

/**
 * A resolution commits its case event inside the store's transaction, past the outbox's
 * `append`: once it committed, the relay is told, so that it publishes at once rather than at
 * its next poll (up to a second later).
 */
function announcingResolutions(
  log: DecisionLogStore,
  outbox: OutboxStore<CaseEvent>,
): DecisionLogStore {
  return {
    ...log,
    async resolveCase(...args) {
      const resolved = await log.resolveCase(...args);
      outbox.notifyAppended?.();
      return resolved;
    },
  };
}

/** The embedded database's file, under DATA_DIR. */
export const SQLITE_FILE = 'risk.sqlite';

export interface Stores {
  mode: StoreMode;
  rulesets: RulesetStore;
  /** Model versions by role, their active and shadow pointers, the audit (the model registry). */
  models: ModelRegistryStore;
  /** Users, their API tokens and sessions, beside the rules (DESIGN.md §4.10). */
  users: UserStore;
  /** Aggregate risk windows: in the database, or in memory in memory mode. */
  windows: WindowStore;
  /** Scored transactions and their outcome labels (rule performance). */
  decisionLog: DecisionLogStore;
  /** Liveness of the durable store (readiness); null in memory mode. */
  ping: (() => Promise<void>) | null;
  /** Creates the flag outbox kept in the durable store; null in memory mode (no such store). */
  openFlagOutbox: (() => OutboxStore) | null;
  /**
   * The outbox that `decisionLog` writes each resolved case's event to, in the transaction
   * that resolves it (in memory in memory mode); a relay drains it (emit-setup.ts).
   */
  caseEvents: OutboxStore<CaseEvent>;
  close(): Promise<void>;
}

/**
 * Opens the durable store that the config names: PostgreSQL at DATABASE_URL; without it, by
 * default SQLite embedded in the process (node:sqlite) at DATA_DIR/risk.sqlite, or, with
 * EMBEDDED_STORE=memory, nothing durable at all. Migrations run before anything else.
 */
export async function openStores(
  config: Config,
  logger: PinoLogger,
  onDependencyError: (dependency: string) => void = () => undefined,
): Promise<Stores> {
  if (config.DATABASE_URL !== undefined) {
    const db = createPgDatabase({
      connectionString: config.DATABASE_URL,
      onError: (err, where) => {
        onDependencyError('postgres');
        logger.warn({ err: err.message, where }, 'postgres connection error');
      },
    });
    try {
      const applied = await migrate(db);
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    const rulesets = createPgRulesetStore(db);
    const caseEvents = createPgCaseEventOutbox({ db });
    return {
      mode: 'postgres',
      rulesets,
      models: createPgModelRegistryStore(db),
      users: createPgUserStore(db),
      windows: createPgWindowStore({ db }),
      decisionLog: announcingResolutions(createPgDecisionLog({ db }), caseEvents),
      ping: () => db.ping(),
      openFlagOutbox: () => createPgFlagOutbox({ db }),
      caseEvents,
      async close() {
        await rulesets.close();
        await db.close();
      },
    };
  }
  if (config.EMBEDDED_STORE === 'sqlite')
    return openSqliteStores(dataPath(config, SQLITE_FILE), logger);

  logger.info(
    'EMBEDDED_STORE=memory: rule versions, windows, decisions and labels are kept in memory only',
  );
  const rulesets = createMemoryRulesetStore();
  const caseEvents = createMemoryOutbox<CaseEvent>((e) => e.event_id);
  return {
    mode: 'memory',
    rulesets,
    models: createMemoryModelRegistryStore(),
    users: createMemoryUserStore(),
    windows: createMemoryWindowStore(),
    decisionLog: createMemoryDecisionLog(Date.now, caseEvents),
    ping: null,
    openFlagOutbox: null,
    caseEvents,
    close: () => rulesets.close(),
  };
}

function openSqliteStores(path: string, logger: PinoLogger): Stores {
  const started = performance.now();
  const db: SqliteDatabase = openSqliteDatabase({ path });
  let applied: number[];
  try {
    applied = migrateSqlite(db);
  } catch (err) {
    db.close();
    throw new SqliteOpenError(path, err);
  }
  logger.info(
    { path, ms: Math.round((performance.now() - started) * 10) / 10, applied },
    'DATABASE_URL not set: rules, windows and the flag outbox are kept in embedded SQLite',
  );
  const rulesets = createSqliteRulesetStore(db);
  const caseEvents = createSqliteCaseEventOutbox({ db });
  return {
    mode: 'sqlite',
    rulesets,
    models: createSqliteModelRegistryStore(db),
    users: createSqliteUserStore(db),
    windows: createSqliteWindowStore({ db }),
    decisionLog: announcingResolutions(createSqliteDecisionLog({ db }), caseEvents),
    ping: () => {
      try {
        db.ping();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    openFlagOutbox: () => createSqliteFlagOutbox({ db }),
    caseEvents,
    async close() {
      await rulesets.close();
      db.close();
    },
  };
}

/** Where embedded mode keeps a file, under DATA_DIR. */
export function dataPath(config: Config, name: string): string {
  return join(resolve(config.DATA_DIR), name);
}
