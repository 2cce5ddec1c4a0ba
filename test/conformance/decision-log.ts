/**
 * Conformance suite of the decision log stores (memory and SQLite as unit tests, PostgreSQL
 * against the real server): decisions kept once, labels with history and the last one
 * winning, and precision/recall per rule equal to a computation by hand.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionRecord, LabelInput } from '../../src/domain/outcomes.ts';
import { caseIdFor, countPerformance, performanceOf } from '../../src/domain/outcomes.ts';
import { isRiskError } from '../../src/domain/errors.ts';
import type { DecisionLogStore } from '../../src/pipeline/decision-log.ts';

const T0 = Date.UTC(2024, 2, 1, 12, 0);
const MIN = 60_000;

export function decision(
  id: string,
  minute: number,
  decision: DecisionRecord['decision'],
  rules: string[],
  shadow: string[] = [],
): DecisionRecord {
  return {
    transaction_id: id,
    event_time_ms: T0 + minute * MIN,
    account_id: `acct-${id}`,
    decision,
    risk_score: decision === 'approve' ? 10 : decision === 'review' ? 60 : 90,
    rules,
    shadow_rules: shadow,
    ruleset_version: '3',
  };
}

/*
 * Eight transactions in [T0, T0 + 8 min), one outside. By hand, with the labels below
 * (t1 fraud, t2 legit, t3 fraud then legit then fraud = fraud, t4 legit, t6 fraud, t7 fraud;
 * t5, t8 unlabelled; t9 outside the range):
 *   frauds = {t1, t3, t6, t7} = 4, labelled = 6, transactions = 8
 *   flagged = {t1, t2, t3, t5, t6} = 5, labelled flagged = {t1, t2, t3, t6} = 4,
 *   fraud flagged = {t1, t3, t6} = 3 → precision 3/4, recall 3/4
 *   big-amount: hits t1 t2 t3 t5 = 4, labelled t1 t2 t3 = 3, fraud t1 t3 = 2
 *               → precision 2/3, recall 2/4
 *   new-device: hits t3 t6 = 2 (t3 lists it twice: counted once), labelled 2, fraud 2
 *               → precision 1, recall 2/4
 *   kp (shadow): hits t4 t7 = 2, labelled 2, fraud t7 = 1 → precision 1/2, recall 1/4
 *   never-labelled: hits t5 = 1, labelled 0 → precision null, recall 0/4 = 0
 */
export const FIXTURE: DecisionRecord[] = [
  decision('t1', 0, 'decline', ['big-amount']),
  decision('t2', 1, 'review', ['big-amount']),
  decision('t3', 2, 'decline', ['big-amount', 'new-device', 'new-device']),
  decision('t4', 3, 'approve', [], ['kp']),
  decision('t5', 4, 'review', ['big-amount', 'never-labelled']),
  decision('t6', 5, 'review', ['new-device']),
  decision('t7', 6, 'approve', [], ['kp']),
  decision('t8', 7, 'approve', []),
  decision('t9', 8, 'decline', ['big-amount']),
];

export const FIXTURE_LABELS: LabelInput[] = [
  { transaction_id: 't1', label: 'fraud', source: 'chargeback' },
  { transaction_id: 't2', label: 'legit' },
  { transaction_id: 't3', label: 'fraud' },
  { transaction_id: 't3', label: 'legit', source: 'customer' },
  { transaction_id: 't4', label: 'legit' },
  { transaction_id: 't6', label: 'fraud', reported_at: '2024-04-01T00:00:00Z' },
  { transaction_id: 't7', label: 'fraud' },
  { transaction_id: 't9', label: 'fraud' },
  { transaction_id: 'never-scored', label: 'fraud' },
];

export const EXPECTED = {
  transactions: 8,
  labelled: 6,
  frauds: 4,
  decision: { flagged: 5, labelled_flagged: 4, fraud_flagged: 3, precision: 0.75, recall: 0.75 },
  rules: [
    {
      rule: 'big-amount',
      shadow: false,
      hits: 4,
      labelled_hits: 3,
      fraud_hits: 2,
      precision: 2 / 3,
      recall: 0.5,
    },
    {
      rule: 'never-labelled',
      shadow: false,
      hits: 1,
      labelled_hits: 0,
      fraud_hits: 0,
      precision: null,
      recall: 0,
    },
    {
      rule: 'new-device',
      shadow: false,
      hits: 2,
      labelled_hits: 2,
      fraud_hits: 2,
      precision: 1,
      recall: 0.5,
    },
    {
      rule: 'kp',
      shadow: true,
      hits: 2,
      labelled_hits: 2,
      fraud_hits: 1,
      precision: 0.5,
      recall: 0.25,
    },
  ],
};

const RECEIVED = Date.UTC(2024, 3, 2, 9, 0);

export function decisionLogConformance(name: string, make: () => Promise<DecisionLogStore>): void {
  describe(`DecisionLogStore conformance: ${name}`, () => {
    test('precision and recall per rule and for the decision equal the hand computation', async () => {
      const store = await make();
      await store.append(FIXTURE);
      const first = await store.putLabels(FIXTURE_LABELS, RECEIVED);
      assert.equal(first.accepted, FIXTURE_LABELS.length);
      assert.deepEqual(first.unmatched, ['never-scored']);
      assert.equal(first.matched, FIXTURE_LABELS.length - 1);
      // t3's verdict changes back to fraud in a later call: the last label wins.
      await store.putLabels([{ transaction_id: 't3', label: 'fraud' }], RECEIVED + MIN);
      const counts = await store.performance(T0, T0 + 8 * MIN);
      assert.deepEqual(performanceOf(counts), EXPECTED);
    });

    test('the range is [from, to) on event time', async () => {
      const store = await make();
      await store.append(FIXTURE);
      const counts = await store.performance(T0 + MIN, T0 + 3 * MIN);
      assert.equal(counts.transactions, 2); // t2, t3
      const none = await store.performance(T0 - 10 * MIN, T0);
      assert.equal(none.transactions, 0);
      assert.deepEqual(performanceOf(none).decision.precision, null);
    });

    test('a decision logged twice is kept once, as first written', async () => {
      const store = await make();
      await store.append([decision('d1', 0, 'decline', ['big-amount'])]);
      await store.append([decision('d1', 0, 'approve', [])]);
      const counts = await store.performance(T0, T0 + MIN);
      assert.equal(counts.transactions, 1);
      assert.equal(counts.flagged, 1);
    });

    test('every label stays in the history, in order; an unmatched one matches once logged', async () => {
      const store = await make();
      await store.putLabels(
        [
          { transaction_id: 'h1', label: 'legit', source: 'customer' },
          {
            transaction_id: 'h1',
            label: 'fraud',
            source: 'chargeback',
            reported_at: '2024-03-20T08:00:00Z',
          },
        ],
        RECEIVED,
      );
      const history = await store.labelHistory('h1');
      assert.deepEqual(
        history.map((h) => [h.label, h.source, h.reported_at, h.received_at]),
        [
          ['legit', 'customer', new Date(RECEIVED).toISOString(), new Date(RECEIVED).toISOString()],
          ['fraud', 'chargeback', '2024-03-20T08:00:00.000Z', new Date(RECEIVED).toISOString()],
        ],
      );
      await store.append([decision('h1', 0, 'review', ['big-amount'])]);
      const counts = await store.performance(T0, T0 + MIN);
      assert.equal(counts.frauds, 1);
      assert.deepEqual(await store.labelHistory('nobody'), []);
    });

    test('a review opens one case, also when logged again or by two writers at once', async () => {
      const store = await make();
      const review = { ...decision('c1', 0, 'review', ['big-amount']), case_id: caseIdFor('c1') };
      const approve = decision('c2', 1, 'approve', []);
      await Promise.all([store.append([review, approve]), store.append([review])]);
      await store.append([review]);
      const open = await store.listCases('open', 100);
      assert.deepEqual(
        open.map((c) => [
          c.case_id,
          c.transaction_id,
          c.status,
          c.decision,
          c.risk_score,
          c.reasons,
        ]),
        [[caseIdFor('c1'), 'c1', 'open', 'review', 60, ['big-amount']]],
      );
      assert.ok(Number.isFinite(Date.parse(open[0]?.opened_at ?? '')));
      assert.deepEqual((await store.caseStats()).open, 1);
    });

    test('claim, refuse another analyst, resolve: the outcome is the label', async () => {
      const store = await make();
      const ids = ['q1', 'q2', 'q3'];
      for (const [i, id] of ids.entries())
        await store.append([
          { ...decision(id, i, 'review', ['big-amount']), case_id: caseIdFor(id) },
        ]);
      assert.deepEqual(
        (await store.listCases('open', 10)).map((c) => c.transaction_id),
        ids,
        'oldest opened first',
      );
      const conflict = (code: string) => (err: unknown) => isRiskError(err) && err.code === code;
      const q1 = caseIdFor('q1');
      const claimed = await store.claimCase(q1, 'ana', RECEIVED);
      assert.equal(claimed.status, 'claimed');
      assert.equal(claimed.assignee, 'ana');
      assert.equal((await store.claimCase(q1, 'ana', RECEIVED + 1)).claimed_at, claimed.claimed_at);
      await assert.rejects(store.claimCase(q1, 'bob', RECEIVED), conflict('RISK_ERR_CONFLICT'));
      await assert.rejects(
        store.resolveCase(q1, 'bob', 'legit', '', RECEIVED),
        conflict('RISK_ERR_CONFLICT'),
      );
      const resolved = await store.resolveCase(q1, 'ana', 'fraud', 'card stolen', RECEIVED + MIN);
      assert.deepEqual(
        [resolved.status, resolved.outcome, resolved.comment, resolved.resolved_at],
        ['resolved', 'fraud', 'card stolen', new Date(RECEIVED + MIN).toISOString()],
      );
      await assert.rejects(
        store.resolveCase(q1, 'ana', 'legit', '', RECEIVED),
        conflict('RISK_ERR_CONFLICT'),
      );
      const history = await store.labelHistory('q1');
      assert.deepEqual(
        history.map((h) => [h.label, h.source]),
        [['fraud', 'case']],
      );
      assert.equal((await store.performance(T0, T0 + 3 * MIN)).frauds, 1);
      // An open case may be resolved at once, without a claim.
      assert.equal(
        (await store.resolveCase(caseIdFor('q2'), 'bob', 'legit', '', RECEIVED)).status,
        'resolved',
      );
      assert.deepEqual(
        (await store.listCases('resolved', 10)).map((c) => c.transaction_id),
        ['q1', 'q2'],
      );
      const stats = await store.caseStats();
      assert.deepEqual([stats.open, stats.claimed], [1, 0]);
      assert.ok(stats.oldest_unresolved_ms !== null);
      await assert.rejects(
        store.claimCase(caseIdFor('nobody'), 'ana', RECEIVED),
        conflict('RISK_ERR_NOT_FOUND'),
      );
      assert.equal(await store.getCase(caseIdFor('nobody')), undefined);
      assert.equal((await store.getCase(caseIdFor('q3')))?.status, 'open');
    });

    test('10,000 labels in one call, matched and unmatched counted', async () => {
      const store = await make();
      const decisions = Array.from({ length: 5000 }, (_, i) =>
        decision(
          `bulk-${i}`,
          i % 60,
          i % 10 === 0 ? 'decline' : 'approve',
          i % 10 === 0 ? ['big-amount'] : [],
        ),
      );
      await store.append(decisions);
      const labels: LabelInput[] = Array.from({ length: 10_000 }, (_, i) => ({
        transaction_id: `bulk-${i}`,
        label: i % 20 === 0 ? 'fraud' : 'legit',
      }));
      const r = await store.putLabels(labels, RECEIVED);
      assert.equal(r.accepted, 10_000);
      assert.equal(r.matched, 5000);
      assert.equal(r.unmatched.length, 5000);
      const counts = await store.performance(T0, T0 + 60 * MIN);
      const reference = countPerformance(decisions, (id) => {
        const i = Number(id.slice(5));
        return i % 20 === 0 ? 'fraud' : 'legit';
      });
      assert.deepEqual(performanceOf(counts), performanceOf(reference));
    });
  });
}
