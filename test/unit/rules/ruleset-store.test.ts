import { createMemoryRulesetStore } from '../../../src/adapters/memory/memory-ruleset-store.ts';
import { createSqliteRulesetStore } from '../../../src/adapters/sqlite/sqlite-ruleset-store.ts';
import { rulesetStoreConformance } from '../../conformance/ruleset-store.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import {
  SQLITE_MIGRATIONS,
  migrateSqlite,
} from '../../../src/adapters/sqlite/sqlite-migrations.ts';

rulesetStoreConformance('memory', () =>
  Promise.resolve({ store: createMemoryRulesetStore(), close: () => Promise.resolve() }),
);

// The embedded default: a real SQLite file per test (opening one takes milliseconds).
rulesetStoreConformance('sqlite', () => {
  const s = createThrowawaySqlite();
  const store = createSqliteRulesetStore(s.db);
  return Promise.resolve({
    store,
    close: async () => {
      await store.close();
      s.drop();
    },
  });
});

test('SQLite migration 6 rebuilds the audit table with its rows and ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'risk-migrate-'));
  const db = openSqliteDatabase({ path: join(dir, 'risk.sqlite') });
  try {
    migrateSqlite(
      db,
      SQLITE_MIGRATIONS.filter((m) => m.id < 6),
    );
    // Rows as the code before migration 6 wrote them.
    for (const [version, action, from, actor] of [
      [1, 'seed', null, 'alice'],
      [2, 'publish', 1, 'bob'],
    ] as const) {
      db.run(
        `INSERT INTO ruleset_versions (version, rules, rule_count, content_hash, author, source)
         VALUES (?, '[]', 0, 'sha256:x', ?, 'api')`,
        version,
        actor,
      );
      db.run(
        'INSERT INTO ruleset_active (singleton, version) VALUES (1, ?) ON CONFLICT DO UPDATE SET version = excluded.version',
        version,
      );
      db.run(
        'INSERT INTO ruleset_audit (action, version, from_version, actor) VALUES (?, ?, ?, ?)',
        action,
        version,
        from,
        actor,
      );
    }
    // Migration 6 only: later ones (8, the model registry) are not this test's.
    assert.deepEqual(
      migrateSqlite(
        db,
        SQLITE_MIGRATIONS.filter((m) => m.id <= 6),
      ),
      [6],
    );
    const store = createSqliteRulesetStore(db);
    await store.rollback({ actor: 'carol', comment: 'undo' });
    assert.deepEqual(
      (await store.audit(10)).map((e) => [e.id, e.action, e.version, e.proposal_id, e.actor]),
      [
        [3, 'rollback', 1, null, 'carol'],
        [2, 'publish', 2, null, 'bob'],
        [1, 'seed', 1, null, 'alice'],
      ],
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
