import { createMemoryUserStore } from '../../../src/adapters/memory/memory-user-store.ts';
import { createSqliteUserStore } from '../../../src/adapters/sqlite/sqlite-user-store.ts';
import { userStoreConformance } from '../../conformance/user-store.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';

userStoreConformance('memory', () =>
  Promise.resolve({ store: createMemoryUserStore(), close: () => Promise.resolve() }),
);

userStoreConformance('sqlite', () => {
  const s = createThrowawaySqlite();
  return Promise.resolve({
    store: createSqliteUserStore(s.db),
    close: () => Promise.resolve(s.drop()),
  });
});

test('sqlite: users are never deleted, whatever the code above the store does', async () => {
  const s = createThrowawaySqlite();
  try {
    await createSqliteUserStore(s.db).create({
      username: 'ann',
      role: 'viewer',
      passwordHash: null,
    });
    assert.throws(() => s.db.run('DELETE FROM users'), /never deleted/);
  } finally {
    s.drop();
  }
});
