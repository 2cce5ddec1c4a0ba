// The embedded database itself: what survives a reopen, what migrations do twice, how a start
// on a bad DATA_DIR fails, and how a second process's change reaches the live ruleset.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import {
  SQLITE_MIGRATIONS,
  migrateSqlite,
} from '../../../src/adapters/sqlite/sqlite-migrations.ts';
import { createSqliteRulesetStore } from '../../../src/adapters/sqlite/sqlite-ruleset-store.ts';
import { evaluatorFactory } from '../../../src/app/rules-engine.ts';
import { createLiveRuleset } from '../../../src/pipeline/live-ruleset.ts';
import { silentLogger } from '../../../src/pipeline/logger.ts';
import { publishInput, ruleOf } from '../../conformance/ruleset-store.ts';
import { buildTestApp } from '../../helpers/app.ts';
import { waitFor } from '../../helpers/fakes.ts';
import type { ThrowawaySqlite } from '../../helpers/sqlite.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';

const made: ThrowawaySqlite[] = [];
const dirs: string[] = [];
after(() => {
  for (const s of made) s.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function fresh(): ThrowawaySqlite {
  const s = createThrowawaySqlite();
  made.push(s);
  return s;
}
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'risk-sqlite-dir-'));
  dirs.push(d);
  return d;
}

describe('SQLite database', () => {
  test('published versions, the active pointer and the audit survive closing and reopening', async () => {
    const s = fresh();
    const store = createSqliteRulesetStore(s.db);
    await store.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
    await store.publish(publishInput(['b', 'c']));
    await store.rollback({ actor: 'bob', comment: 'undo' });
    const before = {
      active: await store.active(),
      list: await store.list(10),
      audit: await store.audit(10),
      v2: await store.get(2),
    };
    s.db.close();

    const db = openSqliteDatabase({ path: s.path });
    try {
      assert.deepEqual(migrateSqlite(db), [], 'nothing left to migrate');
      const reopened = createSqliteRulesetStore(db);
      assert.deepEqual(
        {
          active: await reopened.active(),
          list: await reopened.list(10),
          audit: await reopened.audit(10),
          v2: await reopened.get(2),
        },
        before,
      );
      assert.equal(before.active?.version, 1);
      assert.deepEqual(before.v2?.rules, [ruleOf('b'), ruleOf('c')]);
    } finally {
      db.close();
    }
  });

  test('migrations are idempotent: a second run, a second handle and a reopen apply nothing', () => {
    const path = join(tempDir(), 'risk.sqlite');
    const a = openSqliteDatabase({ path });
    const b = openSqliteDatabase({ path });
    try {
      assert.deepEqual(
        migrateSqlite(a),
        SQLITE_MIGRATIONS.map((m) => m.id),
      );
      assert.deepEqual(migrateSqlite(a), []);
      assert.deepEqual(migrateSqlite(b), []);
      assert.deepEqual(
        a.all<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id').map((r) => r.id),
        SQLITE_MIGRATIONS.map((m) => m.id),
      );
    } finally {
      a.close();
      b.close();
    }
    const c = openSqliteDatabase({ path });
    try {
      assert.deepEqual(migrateSqlite(c), []);
    } finally {
      c.close();
    }
  });

  test('a failing migration step leaves nothing of itself and is tried again next time', () => {
    const s = fresh();
    const broken = [
      ...SQLITE_MIGRATIONS,
      { id: 99, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT nosuchfunction();' },
    ];
    assert.throws(() => migrateSqlite(s.db, broken), /no such function/);
    assert.equal(s.db.get('SELECT 1 FROM schema_migrations WHERE id = 99'), undefined);
    assert.equal(s.db.get(`SELECT 1 FROM sqlite_schema WHERE name = 'half'`), undefined);
    const fixed = [
      ...SQLITE_MIGRATIONS,
      { id: 99, name: 'fixed', sql: 'CREATE TABLE half (x INTEGER)' },
    ];
    assert.deepEqual(migrateSqlite(s.db, fixed), [99]);
  });

  test('the file runs in WAL mode with foreign keys on; stored versions cannot be changed', () => {
    const s = fresh();
    assert.equal(s.db.get<{ journal_mode: string }>('PRAGMA journal_mode')?.journal_mode, 'wal');
    assert.equal(s.db.get<{ foreign_keys: number }>('PRAGMA foreign_keys')?.foreign_keys, 1);
    assert.throws(
      () => s.db.run('INSERT INTO ruleset_active (singleton, version) VALUES (1, 42)'),
      /FOREIGN KEY constraint failed/,
    );
    s.db.run(
      `INSERT INTO ruleset_versions (version, rules, rule_count, content_hash, author, source)
       VALUES (1, '[]', 0, 'h', 'a', 'api')`,
    );
    assert.throws(() => s.db.run(`UPDATE ruleset_versions SET rules = '[1]'`), /immutable/);
    assert.throws(() => s.db.run('DELETE FROM ruleset_versions'), /immutable/);
  });

  test('a transaction is refused an async body and rolls back what it wrote when it throws', () => {
    const s = fresh();
    assert.throws(
      () =>
        s.db.transaction(() => {
          s.db.run(`INSERT INTO risk_window_flushes VALUES ('x', 1)`);
          return Promise.resolve();
        }),
      /must be synchronous/,
    );
    assert.equal(s.db.get(`SELECT 1 FROM risk_window_flushes`), undefined);
  });

  test("another process's publish reaches the live ruleset through its periodic check", async () => {
    const s = fresh();
    // A second handle on the same file stands for a second process: its changes are never
    // announced to the first one's watchers.
    const other = openSqliteDatabase({ path: s.path });
    const mine = createSqliteRulesetStore(s.db);
    const theirs = createSqliteRulesetStore(other);
    await mine.seedIfEmpty(publishInput(['a'], { source: 'seed' }));
    const live = await createLiveRuleset({
      store: mine,
      makeEvaluator: evaluatorFactory('compiled'),
      logger: silentLogger,
      pollIntervalMs: 50,
    });
    try {
      assert.equal(live.version(), 1);
      await theirs.publish(publishInput(['b']));
      await waitFor(() => live.version() === 2, 5_000, 'the live ruleset follows version 2');
    } finally {
      await live.close();
      other.close();
    }
  });
});

describe('embedded start on a bad DATA_DIR', () => {
  test('a damaged database file fails the start naming the file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'risk.sqlite'), 'this is not a database '.repeat(400));
    await assert.rejects(
      buildTestApp({ EMBEDDED_STORE: 'sqlite', DATA_DIR: dir }),
      (err: Error) => {
        assert.match(err.message, /cannot open the embedded database .*risk\.sqlite/);
        assert.match(err.message, /file is not a database/);
        assert.match(err.message, /DATA_DIR/);
        return true;
      },
    );
  });

  test('a DATA_DIR that cannot be a directory fails the start naming the path', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    await assert.rejects(
      buildTestApp({ EMBEDDED_STORE: 'sqlite', DATA_DIR: file }),
      (err: Error) => {
        assert.match(err.message, /cannot open the embedded database .*not-a-dir\/risk\.sqlite/);
        assert.match(err.message, /ENOTDIR|EEXIST|not a directory/);
        return true;
      },
    );
  });

  test('embedded defaults create DATA_DIR and the database file in it', async () => {
    const dir = join(tempDir(), 'new', 'data');
    const app = await buildTestApp({ EMBEDDED_STORE: 'sqlite', DATA_DIR: dir });
    await app.close();
    const files = readdirSync(dir).filter((f) => f.startsWith('risk.sqlite'));
    assert.ok(files.includes('risk.sqlite'), files.join(','));
  });
});
