import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS, migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgRulesetStore } from '../../src/adapters/postgres/pg-ruleset-store.ts';
import { rulesetStoreConformance } from '../conformance/ruleset-store.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';

const made: ThrowawayDb[] = [];
after(async () => {
  for (const d of made) await d.drop();
});

rulesetStoreConformance('postgres server', async () => {
  const tdb = await createThrowawayDb('rulesets');
  made.push(tdb);
  const db = createPgDatabase({ connectionString: tdb.url });
  await migrate(db);
  return { store: createPgRulesetStore(db), close: () => db.close() };
});

let shared: ThrowawayDb;
before(async () => {
  shared = await createThrowawayDb('migrate');
  made.push(shared);
});

test('replicas migrating the same database at once apply each step exactly once', async () => {
  const dbs = [0, 1, 2, 3].map(() => createPgDatabase({ connectionString: shared.url }));
  try {
    const applied = await Promise.all(dbs.map((db) => migrate(db)));
    const ids = MIGRATIONS.map((m) => m.id);
    assert.deepEqual(
      applied.flat().sort((a, b) => a - b),
      ids,
      JSON.stringify(applied),
    );
    const rows = await dbs[0]!.query<{ id: number }>(
      'SELECT id FROM schema_migrations ORDER BY id',
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
    );
  } finally {
    await Promise.all(dbs.map((db) => db.close()));
  }
});
