// The decision log on the memory store and on a real SQLite file (PostgreSQL:
// test/integration/decision-log-postgres.test.ts).
import { after } from 'node:test';
import { createMemoryDecisionLog } from '../../../src/adapters/memory/memory-decision-log.ts';
import { createSqliteDecisionLog } from '../../../src/adapters/sqlite/sqlite-decision-log.ts';
import { decisionLogConformance } from '../../conformance/decision-log.ts';
import type { ThrowawaySqlite } from '../../helpers/sqlite.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';

const made: ThrowawaySqlite[] = [];
after(() => {
  for (const s of made) s.drop();
});

decisionLogConformance('memory', () => Promise.resolve(createMemoryDecisionLog()));
decisionLogConformance('sqlite', () => {
  const s = createThrowawaySqlite();
  made.push(s);
  return Promise.resolve(createSqliteDecisionLog({ db: s.db }));
});
