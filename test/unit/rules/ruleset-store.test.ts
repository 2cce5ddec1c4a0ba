import { after } from 'node:test';
import { createMemoryRulesetStore } from '../../../src/adapters/memory/memory-ruleset-store.ts';
import type { Database } from '../../../src/adapters/postgres/database.ts';
import { migrate } from '../../../src/adapters/postgres/migrations.ts';
import { createPgliteDatabase } from '../../../src/adapters/postgres/pglite-database.ts';
import { createPgRulesetStore } from '../../../src/adapters/postgres/pg-ruleset-store.ts';
import { rulesetStoreConformance } from '../../conformance/ruleset-store.ts';

rulesetStoreConformance('memory', () =>
  Promise.resolve({ store: createMemoryRulesetStore(), close: () => Promise.resolve() }),
);

// The embedded engine in memory: the same SQL as the server, no server. One instance (a fresh
// one takes about a second to initialise), emptied before each test.
let pglite: Promise<Database> | undefined;
after(async () => {
  await (await pglite)?.close();
});
rulesetStoreConformance('postgres schema on embedded PGlite', async () => {
  pglite ??= createPgliteDatabase('memory://').then(async (db) => {
    await migrate(db);
    return db;
  });
  const db = await pglite;
  await db.exec('TRUNCATE ruleset_audit, ruleset_active, ruleset_versions RESTART IDENTITY');
  return { store: createPgRulesetStore(db), close: () => Promise.resolve() };
});
