// The console's pure logic for review cases and rule performance, in Node: the queue's order
// and merge, ages in words, who may work a case, the buckets a range is cut into and how a
// ratio reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ageOf,
  canWorkCases,
  caseActions,
  mergeQueue,
  statusesOf,
} from '../../../src/console/lib/cases.ts';
import {
  MAX_BUCKETS,
  bucketsOf,
  fromLocalInput,
  percent,
  toLocalInput,
  unitFor,
} from '../../../src/console/lib/performance.ts';
import type { CaseRow } from '../../../src/console/lib/types.ts';

const row = (id: string, opened: string, over: Partial<CaseRow> = {}): CaseRow => ({
  case_id: id,
  transaction_id: `t-${id}`,
  status: 'open',
  decision: 'review',
  risk_score: 50,
  reasons: ['r'],
  opened_at: opened,
  ...over,
});

test('statusesOf: the active queue asks for open and claimed, a status for itself', () => {
  assert.deepEqual(statusesOf('active'), ['open', 'claimed']);
  assert.deepEqual(statusesOf('claimed'), ['claimed']);
  assert.deepEqual(statusesOf('resolved'), ['resolved']);
});

test('mergeQueue: oldest opened first across statuses, ties in the service order, each once', () => {
  const open = [
    row('z', '2026-01-01T10:00:00Z'),
    row('b', '2026-01-01T10:00:00Z'),
    row('c', '2026-01-01T09:00:00Z'),
  ];
  const claimed = [
    row('a', '2026-01-01T11:00:00Z', { status: 'claimed', assignee: 'ana' }),
    // Claimed between the two calls: listed open in one answer, claimed in the other.
    row('c', '2026-01-01T09:00:00Z', { status: 'claimed', assignee: 'bob' }),
  ];
  const merged = mergeQueue([open, claimed]);
  assert.deepEqual(
    merged.map((c) => [c.case_id, c.status]),
    [
      ['c', 'claimed'],
      // Opened in the same write: the service's order, not the ids'.
      ['z', 'open'],
      ['b', 'open'],
      ['a', 'claimed'],
    ],
  );
  assert.deepEqual(mergeQueue([]), []);
});

test('ageOf: the two largest units, never negative, a dash for a bad time', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m 00s'],
    [61_000, '1m 01s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h 00m'],
    [2 * 3_600_000 + 5 * 60_000 + 30_000, '2h 05m'],
    [24 * 3_600_000, '1d 0h'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, '3d 4h'],
    [-5_000, '0s'],
  ];
  for (const [elapsed, want] of cases)
    assert.equal(ageOf('2026-01-01T00:00:00Z', t0 + elapsed), want, `${elapsed} ms`);
  assert.equal(ageOf('not a time', t0), '—');
});

test('canWorkCases and caseActions: analysts and above work open cases and their own', () => {
  const table: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['viewer', false],
    ['analyst', true],
    ['publisher', true],
    ['admin', true],
    ['stranger', false],
  ];
  for (const [role, want] of table) assert.equal(canWorkCases(role), want, String(role));

  const open = row('a', '2026-01-01T00:00:00Z');
  const mine = row('a', '2026-01-01T00:00:00Z', { status: 'claimed', assignee: 'ana' });
  const resolved = row('a', '2026-01-01T00:00:00Z', { status: 'resolved', outcome: 'fraud' });
  assert.deepEqual(caseActions(open, 'ana', 'analyst'), { claim: true, resolve: true });
  assert.deepEqual(caseActions(open, 'vic', 'viewer'), { claim: false, resolve: false });
  assert.deepEqual(caseActions(mine, 'ana', 'analyst'), { claim: false, resolve: true });
  assert.deepEqual(caseActions(mine, 'bob', 'admin'), {
    claim: false,
    resolve: false,
    heldBy: 'ana',
  });
  assert.deepEqual(caseActions(resolved, 'ana', 'analyst'), { claim: false, resolve: false });
});

test('bucketsOf: whole hours or days, clipped to the range, together exactly the range', () => {
  const h = 3_600_000;
  const from = Date.parse('2026-01-01T10:30:00Z');
  const hours = bucketsOf(from, from + 3 * h);
  assert.deepEqual(
    hours.map((b) => [new Date(b.fromMs).toISOString(), new Date(b.toMs).toISOString()]),
    [
      ['2026-01-01T10:30:00.000Z', '2026-01-01T11:00:00.000Z'],
      ['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z'],
      ['2026-01-01T12:00:00.000Z', '2026-01-01T13:00:00.000Z'],
      ['2026-01-01T13:00:00.000Z', '2026-01-01T13:30:00.000Z'],
    ],
  );
  // Aligned on the hour: no sliver at either end.
  assert.equal(
    bucketsOf(Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T05:00:00Z')).length,
    5,
  );
  const days = bucketsOf(Date.parse('2026-01-01T12:00:00Z'), Date.parse('2026-01-08T12:00:00Z'));
  assert.equal(days.length, 8);
  assert.equal(days[0]?.toMs, Date.parse('2026-01-02T00:00:00Z'));
  for (const list of [hours, days])
    for (let i = 1; i < list.length; i++) assert.equal(list[i]?.fromMs, list[i - 1]?.toMs);

  // The page's longest presets, not on the hour: they fit.
  const odd = Date.parse('2026-01-10T10:30:00Z');
  assert.equal(bucketsOf(odd - 48 * h, odd).length, 49);
  assert.equal(bucketsOf(odd - 49 * 24 * h, odd).length, 50);
  assert.equal(unitFor(0, 48 * h), 'hour');
  assert.equal(unitFor(0, 48 * h + 1), 'day');
  assert.throws(() => bucketsOf(10, 10), /before it ends/);
  assert.throws(() => bucketsOf(0, (MAX_BUCKETS + 1) * 86_400_000, 'day'), /shorter/);
  assert.equal(bucketsOf(0, MAX_BUCKETS * 86_400_000, 'day').length, MAX_BUCKETS);
});

test('percent: one decimal, a dash when undefined', () => {
  assert.equal(percent(null), '—');
  assert.equal(percent(0), '0.0%');
  assert.equal(percent(1), '100.0%');
  assert.equal(percent(1 / 3), '33.3%');
  assert.equal(percent(2 / 3), '66.7%');
});

test('datetime-local values: round trip to the minute, malformed input is null', () => {
  const ms = new Date(2026, 0, 2, 3, 4).getTime();
  assert.equal(toLocalInput(ms), '2026-01-02T03:04');
  assert.equal(fromLocalInput(toLocalInput(ms)), ms);
  for (const bad of ['', '2026-01-02', '2026-13-45T99:99', 'yesterday'])
    assert.equal(fromLocalInput(bad), null, bad);
});
