import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { caseEventIdFor, resolvedCaseEvent } from '../../../src/domain/case-event.ts';
import type { Case } from '../../../src/domain/outcomes.ts';
import { caseIdFor } from '../../../src/domain/outcomes.ts';
import { caseEventSchemaValidator } from '../../helpers/flag-schema.ts';

const validate = caseEventSchemaValidator();

const resolvedCase = (over: Partial<Case> = {}): Case => ({
  case_id: caseIdFor('tx-1'),
  transaction_id: 'tx-1',
  status: 'resolved',
  decision: 'review',
  risk_score: 55,
  reasons: ['velocity', 'new-device'],
  opened_at: '2024-05-21T10:00:00.000Z',
  assignee: 'ana',
  claimed_at: '2024-05-21T10:05:00.000Z',
  outcome: 'fraud',
  comment: 'chargeback',
  resolved_at: '2024-05-21T10:09:00.000Z',
  ...over,
});

describe('case events', () => {
  test('the event id is a UUID v5 of case and event: the same every time, distinct per case', () => {
    const a = caseEventIdFor(caseIdFor('tx-1'), 'resolved');
    assert.equal(a, caseEventIdFor(caseIdFor('tx-1'), 'resolved'));
    assert.notEqual(a, caseEventIdFor(caseIdFor('tx-2'), 'resolved'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, caseIdFor('tx-1'));
  });

  test('a resolved case gives a schema-valid event with its fields', () => {
    const e = resolvedCaseEvent(resolvedCase(), 'acct-9');
    assert.equal(validate(e), null);
    assert.deepEqual(
      [e.schema, e.event, e.account_id, e.outcome, e.comment, e.assignee, e.resolved_by],
      ['risk.case-event.v1', 'resolved', 'acct-9', 'fraud', 'chargeback', 'ana', 'ana'],
    );
    assert.deepEqual(e.reasons, ['velocity', 'new-device']);
    assert.equal(e.resolved_at, '2024-05-21T10:09:00.000Z');
  });

  test('an empty comment is left out rather than sent empty', () => {
    const e = resolvedCaseEvent(resolvedCase({ comment: '' }), 'acct-9');
    assert.equal('comment' in e, false);
    assert.equal(validate(e), null);
  });

  test('a case not resolved has no resolved event', () => {
    const { outcome: _o, resolved_at: _r, ...claimed } = resolvedCase();
    assert.throws(
      () => resolvedCaseEvent({ ...claimed, status: 'claimed' }, 'acct-9'),
      /is not resolved/,
    );
  });

  test('the schema refuses an event with a field it does not know', () => {
    const e = { ...resolvedCaseEvent(resolvedCase(), 'acct-9'), extra: 1 };
    assert.match(validate(e) ?? '', /additional properties/);
  });
});
