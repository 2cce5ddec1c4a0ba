import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { migrateSqlite } from '../../src/adapters/sqlite/sqlite-migrations.ts';

export interface ThrowawaySqlite {
  dir: string;
  path: string;
  db: SqliteDatabase;
  /** Closes the database and removes its directory. */
  drop(): void;
}

/**
 * A migrated SQLite database in a fresh directory of its own: a real file (WAL and all), so
 * tests see what the service does; opening one takes a few milliseconds.
 */
export function createThrowawaySqlite(prefix = 'risk-sqlite-'): ThrowawaySqlite {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'risk.sqlite');
  const db = openSqliteDatabase({ path });
  migrateSqlite(db);
  return {
    dir,
    path,
    db,
    drop() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
