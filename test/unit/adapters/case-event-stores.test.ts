// Case events of the memory and SQLite decision log stores (PostgreSQL:
// test/integration/case-events-kafka-postgres.test.ts).
import { after } from 'node:test';
import { createMemoryDecisionLog } from '../../../src/adapters/memory/memory-decision-log.ts';
import { createMemoryOutbox } from '../../../src/adapters/memory/memory-outbox.ts';
import { createSqliteCaseEventOutbox } from '../../../src/adapters/sqlite/sqlite-case-event-outbox.ts';
import { createSqliteDecisionLog } from '../../../src/adapters/sqlite/sqlite-decision-log.ts';
import type { CaseEvent } from '../../../src/domain/case-event.ts';
import { caseEventConformance } from '../../conformance/case-events.ts';
import type { ThrowawaySqlite } from '../../helpers/sqlite.ts';
import { createThrowawaySqlite } from '../../helpers/sqlite.ts';

const made: ThrowawaySqlite[] = [];
after(() => {
  for (const s of made) s.drop();
});

caseEventConformance('memory', () => {
  const outbox = createMemoryOutbox<CaseEvent>((e) => e.event_id);
  return Promise.resolve({ store: createMemoryDecisionLog(Date.now, outbox), outbox });
});

caseEventConformance('sqlite', () => {
  const s = createThrowawaySqlite();
  made.push(s);
  return Promise.resolve({
    store: createSqliteDecisionLog({ db: s.db }),
    outbox: createSqliteCaseEventOutbox({ db: s.db }),
    breakOutbox: () => {
      s.db.exec('DROP TABLE risk_case_event_outbox');
      return Promise.resolve();
    },
  });
});
