/**
 * Conformance suite of the case events a decision log store writes (memory and SQLite as unit
 * tests, PostgreSQL against the real server): resolving a case puts exactly one
 * risk.case-event.v1 event in the store's outbox, with the case's fields; nothing else does;
 * and (SQL stores) the event and the resolution commit together or not at all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaseEvent } from '../../src/domain/case-event.ts';
import { caseEventIdFor } from '../../src/domain/case-event.ts';
import { isRiskError } from '../../src/domain/errors.ts';
import { caseIdFor } from '../../src/domain/outcomes.ts';
import type { DecisionLogStore } from '../../src/pipeline/decision-log.ts';
import type { OutboxStore } from '../../src/pipeline/flag-outbox.ts';
import { caseEventSchemaValidator } from '../helpers/flag-schema.ts';
import { decision } from './decision-log.ts';

export interface CaseEventFixture {
  store: DecisionLogStore;
  outbox: OutboxStore<CaseEvent>;
  /**
   * Makes the next event write fail (the outbox table dropped), for stores that write the
   * event in the resolution's transaction; absent for the memory store.
   */
  breakOutbox?: () => Promise<void>;
}

const AT = Date.UTC(2024, 2, 2, 9, 30);
const validate = caseEventSchemaValidator();

/** Everything in the outbox now (claimed, then released at once for later claims). */
async function pending(outbox: OutboxStore<CaseEvent>): Promise<CaseEvent[]> {
  const batch = await outbox.claim(1000);
  if (batch === null) return [];
  await batch.release(0, 'looked at by the test');
  return batch.records;
}

export function caseEventConformance(name: string, make: () => Promise<CaseEventFixture>): void {
  describe(`case events: ${name}`, () => {
    test('resolving a case writes exactly one resolved event with the case fields', async () => {
      const { store, outbox } = await make();
      await store.append([
        { ...decision('e1', 0, 'review', ['big-amount', 'new-device']), case_id: caseIdFor('e1') },
        { ...decision('e2', 1, 'review', ['big-amount']), case_id: caseIdFor('e2') },
      ]);
      await store.claimCase(caseIdFor('e1'), 'ana', AT);
      assert.deepEqual(await pending(outbox), [], 'opening and claiming write no event');

      const resolved = await store.resolveCase(
        caseIdFor('e1'),
        'ana',
        'fraud',
        'card stolen',
        AT + 1000,
      );
      const events = await pending(outbox);
      assert.equal(events.length, 1);
      const event = events[0];
      assert.equal(validate(event), null);
      assert.deepEqual(event, {
        schema: 'risk.case-event.v1',
        event_id: caseEventIdFor(caseIdFor('e1'), 'resolved'),
        event: 'resolved',
        case_id: caseIdFor('e1'),
        transaction_id: 'e1',
        account_id: 'acct-e1',
        decision: 'review',
        risk_score: 60,
        reasons: ['big-amount', 'new-device'],
        opened_at: resolved.opened_at,
        outcome: 'fraud',
        comment: 'card stolen',
        assignee: 'ana',
        resolved_by: 'ana',
        resolved_at: new Date(AT + 1000).toISOString(),
      });

      // Resolved without a claim, without a comment: no comment field.
      await store.resolveCase(caseIdFor('e2'), 'bob', 'legit', '', AT + 2000);
      const both = await pending(outbox);
      assert.deepEqual(
        both.map((e) => [e.transaction_id, e.outcome, e.resolved_by, 'comment' in e]),
        [
          ['e1', 'fraud', 'ana', true],
          ['e2', 'legit', 'bob', false],
        ],
      );
    });

    test('a refused or repeated resolution writes no second event', async () => {
      const { store, outbox } = await make();
      await store.append([{ ...decision('e3', 0, 'review', ['r']), case_id: caseIdFor('e3') }]);
      await store.claimCase(caseIdFor('e3'), 'ana', AT);
      const conflict = (err: unknown) => isRiskError(err) && err.code === 'RISK_ERR_CONFLICT';
      await assert.rejects(store.resolveCase(caseIdFor('e3'), 'bob', 'legit', '', AT), conflict);
      assert.deepEqual(await pending(outbox), []);
      await store.resolveCase(caseIdFor('e3'), 'ana', 'legit', '', AT);
      await assert.rejects(store.resolveCase(caseIdFor('e3'), 'ana', 'fraud', '', AT), conflict);
      const events = await pending(outbox);
      assert.deepEqual(
        events.map((e) => [e.transaction_id, e.outcome]),
        [['e3', 'legit']],
      );
    });

    test('an acknowledged event is gone; a released one is offered again', async () => {
      const { store, outbox } = await make();
      await store.append([{ ...decision('e4', 0, 'review', ['r']), case_id: caseIdFor('e4') }]);
      await store.resolveCase(caseIdFor('e4'), 'ana', 'fraud', '', AT);
      assert.equal((await outbox.stats()).depth, 1);
      const first = await outbox.claim(10);
      assert.equal(first?.records.length, 1);
      assert.equal(await outbox.claim(10), null, 'a claimed event is leased');
      await first?.release(0, 'broker away');
      const again = await outbox.claim(10);
      assert.deepEqual(again?.records, first?.records);
      await again?.ack();
      assert.equal(await outbox.claim(10), null);
      assert.deepEqual((await outbox.stats()).depth, 0);
    });

    test('the event and the resolution commit together', async (t) => {
      const fixture = await make();
      if (fixture.breakOutbox === undefined) {
        t.diagnostic('the memory store appends in the same synchronous step (no transaction)');
        return;
      }
      const { store } = fixture;
      await store.append([{ ...decision('e5', 0, 'review', ['r']), case_id: caseIdFor('e5') }]);
      await store.claimCase(caseIdFor('e5'), 'ana', AT);
      await fixture.breakOutbox();
      await assert.rejects(store.resolveCase(caseIdFor('e5'), 'ana', 'fraud', '', AT));
      const c = await store.getCase(caseIdFor('e5'));
      assert.deepEqual([c?.status, c?.outcome], ['claimed', undefined]);
      assert.deepEqual(await store.currentLabels(['e5']), {}, 'no label without its event');
    });
  });
}
