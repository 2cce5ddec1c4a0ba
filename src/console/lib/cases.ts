/*
 * The review queue's pure logic: which cases a filter shows and in what order, how old a case
 * is in words, and who may work one. Kept apart from the pages so that it is tested in Node.
 */
import type { CaseRow, CaseStatus } from './types.ts';

/** The queue's status filter: `active` is open and claimed together (the work not done). */
export type QueueFilter = 'active' | CaseStatus;

export const QUEUE_FILTERS: ReadonlyArray<{ value: QueueFilter; label: string }> = [
  { value: 'active', label: 'open and claimed' },
  { value: 'open', label: 'open' },
  { value: 'claimed', label: 'claimed' },
  { value: 'resolved', label: 'resolved' },
];

/** The statuses the cases API is asked for, one call each (it takes one status a call). */
export function statusesOf(filter: QueueFilter): CaseStatus[] {
  return filter === 'active' ? ['open', 'claimed'] : [filter];
}

/**
 * One queue from the answers of several status calls: oldest opened first, each case once even
 * if it changed status between the calls (the later status wins). Cases opened in the same
 * write share their opened_at; among them the service's own order (the order they were
 * logged) is kept, as the sort is stable.
 */
export function mergeQueue(lists: readonly CaseRow[][]): CaseRow[] {
  const byId = new Map<string, CaseRow>();
  const rank = { open: 0, claimed: 1, resolved: 2 } as const;
  for (const list of lists)
    for (const c of list) {
      const seen = byId.get(c.case_id);
      if (seen === undefined || rank[c.status] > rank[seen.status]) byId.set(c.case_id, c);
    }
  return [...byId.values()].sort((a, b) => Date.parse(a.opened_at) - Date.parse(b.opened_at));
}

/**
 * How long ago `iso` was, in the two largest units that matter ("2h 05m", "3d 4h", "45s"):
 * precise enough to rank cases by eye, short enough for a table cell. A time in the future
 * (clocks apart) reads as 0s rather than a negative age.
 */
export function ageOf(iso: string, nowMs: number): string {
  const ms = nowMs - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const ROLE_ORDER = ['viewer', 'analyst', 'publisher', 'admin'];

/** Analysts and above claim and resolve cases (the service checks too; this hides buttons). */
export function canWorkCases(role: string | undefined): boolean {
  return role !== undefined && ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf('analyst');
}

/**
 * What `user` may do with `c`: claim an open case, resolve one that is open or theirs. Someone
 * else's claim is named, so the page can say why the buttons are not there.
 */
export function caseActions(
  c: CaseRow,
  user: string | undefined,
  role: string | undefined,
): { claim: boolean; resolve: boolean; heldBy?: string } {
  if (!canWorkCases(role) || c.status === 'resolved') return { claim: false, resolve: false };
  if (c.status === 'open') return { claim: true, resolve: true };
  if (c.assignee === user) return { claim: false, resolve: true };
  return { claim: false, resolve: false, ...(c.assignee !== undefined && { heldBy: c.assignee }) };
}
