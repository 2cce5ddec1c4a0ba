import { join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { createMemoryRulesetStore } from '../adapters/memory/memory-ruleset-store.ts';
import { createMemoryWindowStore } from '../adapters/memory/memory-window-store.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { migrate } from '../adapters/postgres/migrations.ts';
import { createPgDatabase } from '../adapters/postgres/pg-database.ts';
import { createPgliteDatabase } from '../adapters/postgres/pglite-database.ts';
import { createPgRulesetStore } from '../adapters/postgres/pg-ruleset-store.ts';
import { createPgWindowStore } from '../adapters/postgres/pg-window-store.ts';
import type { RulesetStore } from '../pipeline/ruleset-store.ts';
import type { WindowStore } from '../pipeline/window-store.ts';
import type { Config } from './config.ts';

export type StoreMode = 'postgres' | 'pglite' | 'memory';

export interface Stores {
  mode: StoreMode;
  /** The SQL database (server or embedded); null in memory mode. */
  db: Database | null;
  rulesets: RulesetStore;
  /** Aggregate risk windows: in the database, or in memory in memory mode. */
  windows: WindowStore;
  close(): Promise<void>;
}

/**
 * Opens the durable store that the config names: PostgreSQL at DATABASE_URL; without it, by
 * default PostgreSQL embedded in the process (PGlite) under DATA_DIR, or, with
 * EMBEDDED_STORE=memory, nothing durable at all. Migrations run before anything else.
 */
export async function openStores(
  config: Config,
  logger: PinoLogger,
  onDependencyError: (dependency: string) => void = () => undefined,
): Promise<Stores> {
  let db: Database | null = null;
  let mode: StoreMode;
  if (config.DATABASE_URL !== undefined) {
    mode = 'postgres';
    db = createPgDatabase({
      connectionString: config.DATABASE_URL,
      onError: (err, where) => {
        onDependencyError('postgres');
        logger.warn({ err: err.message, where }, 'postgres connection error');
      },
    });
  } else if (config.EMBEDDED_STORE === 'pglite') {
    mode = 'pglite';
    const dir = resolve(config.DATA_DIR, 'pglite');
    const started = performance.now();
    db = await createPgliteDatabase(dir);
    logger.info(
      { dir, ms: Math.round(performance.now() - started) },
      'DATABASE_URL not set: rules are kept in embedded PostgreSQL (PGlite)',
    );
  } else {
    mode = 'memory';
    logger.info('EMBEDDED_STORE=memory: rule versions are kept in memory only');
  }
  if (db !== null) {
    try {
      const applied = await migrate(db);
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }
  const rulesets = db === null ? createMemoryRulesetStore() : createPgRulesetStore(db);
  const windows = db === null ? createMemoryWindowStore() : createPgWindowStore({ db });
  return {
    mode,
    db,
    rulesets,
    windows,
    async close() {
      await rulesets.close();
      await db?.close();
    },
  };
}

/** Where embedded mode keeps a file, under DATA_DIR. */
export function dataPath(config: Config, name: string): string {
  return join(resolve(config.DATA_DIR), name);
}
