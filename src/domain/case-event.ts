import type { Decision } from './decision.ts';
import { nameBasedUuid } from './flag.ts';
import type { Case, Label } from './outcomes.ts';

export const CASE_EVENT_SCHEMA = 'risk.case-event.v1';

/**
 * What happened to a case. Only `resolved` for now: it is what the payment system acts on
 * (release a held payment, or refund it). `opened` would add a write to every logged review
 * decision, and `claimed` changes nothing for a payment.
 */
export type CaseEventKind = 'resolved';

/**
 * The message on the case events topic (DESIGN.md §4.9, default `risk.case-events`, key
 * account_id). JSON Schema: `src/domain/schemas/risk.case-event.v1.json`.
 */
export interface CaseEvent {
  schema: typeof CASE_EVENT_SCHEMA;
  /** The same for every delivery of one event of one case: consumers deduplicate on it. */
  event_id: string;
  event: CaseEventKind;
  case_id: string;
  transaction_id: string;
  account_id: string;
  decision: Decision;
  risk_score: number;
  /** The rules that fired, in firing order, as the case lists them. */
  reasons: string[];
  opened_at: string;
  outcome: Label;
  /** The analyst's comment, when there is one. */
  comment?: string;
  /** Who held the case when it was resolved (the resolver: a case is resolved by its holder). */
  assignee: string;
  resolved_by: string;
  resolved_at: string;
}

/** Namespace of case event ids (a random UUID chosen once; never change it, ids would change). */
const EVENT_NAMESPACE = Buffer.from('9b6e0f1c4a7d4e25b3c8d2f61a0e7c44', 'hex');

/**
 * A name-based UUID of the case and the event: a case is resolved once, so its `resolved`
 * event has one id however often it is written or delivered.
 */
export function caseEventIdFor(caseId: string, event: CaseEventKind): string {
  return nameBasedUuid(EVENT_NAMESPACE, `${caseId}/${event}`);
}

/**
 * The `resolved` event of a case just resolved, or an error naming what it lacks (a store
 * that returned a case without its resolution is a bug, not input).
 */
export function resolvedCaseEvent(c: Case, accountId: string): CaseEvent {
  if (c.status !== 'resolved' || c.outcome === undefined || c.resolved_at === undefined)
    throw new Error(`case ${c.case_id} is not resolved`);
  const by = c.assignee ?? '';
  return {
    schema: CASE_EVENT_SCHEMA,
    event_id: caseEventIdFor(c.case_id, 'resolved'),
    event: 'resolved',
    case_id: c.case_id,
    transaction_id: c.transaction_id,
    account_id: accountId,
    decision: c.decision,
    risk_score: c.risk_score,
    reasons: [...c.reasons],
    opened_at: c.opened_at,
    outcome: c.outcome,
    ...(c.comment !== undefined && c.comment !== '' && { comment: c.comment }),
    assignee: by,
    resolved_by: by,
    resolved_at: c.resolved_at,
  };
}
