// Case events of the memory and SQLite decision log stores (PostgreSQL:
// test/integration/case-events-kafka-postgres.test.ts).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createMemoryDecisionLog } from '../../../src/adapters/memory/memory-decision-log.ts';
import { createMemoryOutbox } from '../../../src/adapters/memory/memory-outbox.ts';
import { createSqliteCaseEventOutbox } from '../../../src/adapters/sqlite/sqlite-case-event-outbox.ts';
import { createSqliteDecisionLog } from '../../../src/adapters/sqlite/sqlite-decision-log.ts';
import { loadConfig } from '../../../src/app/config.ts';
import { openStores } from '../../../src/app/stores.ts';
import type { CaseEvent } from '../../../src/domain/case-event.ts';
import { caseIdFor } from '../../../src/domain/outcomes.ts';
import { caseEventConformance } from '../../conformance/case-events.ts';
import { decision } from '../../conformance/decision-log.ts';
import { waitFor } from '../../helpers/fakes.ts';
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

test('the stores tell the case events relay of a resolution once it committed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-case-events-notify-'));
  const stores = await openStores(
    loadConfig({ EMBEDDED_STORE: 'sqlite', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  try {
    let told = 0;
    let depthWhenTold = -1;
    stores.caseEvents.onAppend(() => {
      told += 1;
      void stores.caseEvents.stats().then((s) => (depthWhenTold = s.depth));
    });
    await stores.decisionLog.append([
      { ...decision('n1', 0, 'review', ['r']), case_id: caseIdFor('n1') },
    ]);
    assert.equal(told, 0);
    await stores.decisionLog.resolveCase(caseIdFor('n1'), 'ana', 'fraud', '', Date.now());
    assert.equal(told, 1);
    await waitFor(() => depthWhenTold !== -1, 10_000, 'the stats read');
    assert.equal(depthWhenTold, 1, 'the event was there when the relay was told');
  } finally {
    await stores.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
