import type { CaseEvent } from '../../domain/case-event.ts';
import type { OutboxStore } from '../../pipeline/flag-outbox.ts';
import type { Database, Queryable } from './database.ts';
import { createPgOutbox } from './pg-flag-outbox.ts';

const INSERT_SQL = `
  INSERT INTO risk_case_event_outbox (event_id, payload) VALUES ($1::uuid, $2::json)
  ON CONFLICT (event_id) DO NOTHING`;

/**
 * Writes a case event in the caller's transaction (the one that resolves the case), so the
 * event exists exactly when the resolution does. An event already there is left as it is.
 */
export async function insertPgCaseEvent(tx: Queryable, event: CaseEvent): Promise<void> {
  await tx.query(INSERT_SQL, [event.event_id, JSON.stringify(event)]);
}

/** Table `risk_case_event_outbox` (migrations.ts, step 7), drained by the case events relay. */
export function createPgCaseEventOutbox({ db }: { db: Database }): OutboxStore<CaseEvent> {
  return createPgOutbox<CaseEvent>({
    db,
    table: 'risk_case_event_outbox',
    idColumn: 'event_id',
    idOf: (e) => e.event_id,
  });
}
