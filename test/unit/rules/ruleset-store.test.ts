import { after } from 'node:test';
import { createMemoryRulesetStore } from '../../../src/adapters/memory/memory-ruleset-store.js';
import type { Database } from '../../../src/adapters/postgres/database.js';
import { migrate } from '../../../src/adapters/postgres/migrations.js';
import { createPgliteDatabase } from '../../../src/adapters/postgres/pglite-database.js';
import { createPgRulesetStore } from '../../../src/adapters/postgres/pg-ruleset-store.js';
import { rulesetStoreConformance } from '../../conformance/ruleset-store.js';

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
