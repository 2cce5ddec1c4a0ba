import { createMemoryRulesetStore } from '../../../src/adapters/memory/memory-ruleset-store.ts';
import { createSqliteRulesetStore } from '../../../src/adapters/sqlite/sqlite-ruleset-store.ts';
import { rulesetStoreConformance } from '../../conformance/ruleset-store.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';

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
