import type { CaseEvent } from '../../domain/case-event.ts';
import type { OutboxStore } from '../../pipeline/flag-outbox.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { createSqliteOutbox } from './sqlite-flag-outbox.ts';

const INSERT_SQL = `
  INSERT INTO risk_case_event_outbox (event_id, payload, created_at_ms, next_attempt_at_ms)
  VALUES (?, ?, ?, ?)
  ON CONFLICT (event_id) DO NOTHING`;

/**
 * Writes a case event; called inside the transaction that resolves the case, so the event
 * exists exactly when the resolution does. An event already there is left as it is.
 */
export function insertSqliteCaseEvent(db: SqliteDatabase, event: CaseEvent, atMs: number): void {
  db.statement(INSERT_SQL).run(event.event_id, JSON.stringify(event), atMs, atMs);
}

/** Table `risk_case_event_outbox` (sqlite-migrations.ts, step 7), drained by its relay. */
export function createSqliteCaseEventOutbox(opts: {
  db: SqliteDatabase;
  now?: () => number;
}): OutboxStore<CaseEvent> {
  return createSqliteOutbox<CaseEvent>({
    ...opts,
    table: 'risk_case_event_outbox',
    idColumn: 'event_id',
    idOf: (e) => e.event_id,
  });
}
