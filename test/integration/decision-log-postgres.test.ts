// The decision log against the real PostgreSQL server (memory and SQLite run the same suite in
// test/unit/adapters/decision-log-stores.test.ts).
import { after, before } from 'node:test';
import type { Database } from '../../src/adapters/postgres/database.ts';
import { migrate } from '../../src/adapters/postgres/migrations.ts';
import { createPgDatabase } from '../../src/adapters/postgres/pg-database.ts';
import { createPgDecisionLog } from '../../src/adapters/postgres/pg-decision-log.ts';
import { decisionLogConformance } from '../conformance/decision-log.ts';
import type { ThrowawayDb } from '../helpers/pg.ts';
import { createThrowawayDb } from '../helpers/pg.ts';

let server: ThrowawayDb;
let pg: Database;
before(async () => {
  server = await createThrowawayDb('decision_log');
  pg = createPgDatabase({ connectionString: server.url });
  await migrate(pg);
});
after(async () => {
  await pg.close();
  await server.drop();
});

decisionLogConformance('postgres', async () => {
  await pg.exec(
    'TRUNCATE risk_decisions; TRUNCATE risk_labels; TRUNCATE risk_label_current; TRUNCATE risk_cases',
  );
  return createPgDecisionLog({ db: pg });
});
