// The PostgreSQL outbox and window store against the real server (the embedded SQLite ones run
// the same suites in test/unit/adapters/emit-stores-sqlite.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/adapters/postgres/database.ts';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgFlagOutbox } from '../../src/adapters/postgres/pg-flag-outbox.ts';
import { createPgWindowStore } from '../../src/adapters/postgres/pg-window-store.ts';
import { outboxConformance, windowStoreConformance } from '../conformance/emit-stores.ts';
import { makeFlag } from '../helpers/fakes.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';

let server: ThrowawayDb;
let pg: Database;
before(async () => {
  server = await createThrowawayDb('emit_sql');
  pg = createPgDatabase({ connectionString: server.url });
  await migrate(pg);
});
after(async () => {
  await pg.close();
  await server.drop();
});

async function emptied(db: Database) {
  await db.exec('TRUNCATE risk_flag_outbox; TRUNCATE risk_windows; TRUNCATE risk_window_flushes');
  return db;
}

outboxConformance('postgres', async () => createPgFlagOutbox({ db: await emptied(pg) }));
windowStoreConformance('postgres', async () => createPgWindowStore({ db: await emptied(pg) }));

describe('PostgreSQL outbox between replicas', () => {
  test('two relays claiming at once get disjoint batches; a flag appended twice is one row', async () => {
    const a = createPgFlagOutbox({ db: await emptied(pg) });
    const b = createPgFlagOutbox({ db: pg });
    const flags = Array.from({ length: 20 }, () => makeFlag());
    await Promise.all(flags.map((f) => a.append(f)));
    await a.append(flags[0]!);
    assert.equal((await a.stats()).depth, 20);
    const [x, y] = await Promise.all([a.claim(12), b.claim(12)]);
    const ids = [...(x?.records ?? []), ...(y?.records ?? [])].map((f) => f.flag_id);
    assert.equal(ids.length, 20);
    assert.equal(new Set(ids).size, 20);
    await Promise.all([x?.ack(), y?.ack()]);
    assert.equal((await a.stats()).depth, 0);
  });
});
