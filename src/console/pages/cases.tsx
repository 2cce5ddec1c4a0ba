import { useEffect, useState } from 'preact/hooks';
import { DecisionBadge, ErrorNote, dateTime } from '../components/badge.tsx';
import { Link } from '../components/link.tsx';
import { api } from '../lib/api.ts';
import type { QueueFilter } from '../lib/cases.ts';
import { QUEUE_FILTERS, ageOf, canWorkCases, mergeQueue, statusesOf } from '../lib/cases.ts';
import { useNow } from '../lib/ticker.ts';
import type { CaseRow } from '../lib/types.ts';
import { useWhoami } from '../lib/whoami.ts';

/** Cases asked for per status: the API's largest page. */
const LIMIT = 1000;
/** The queue is read again this often, so that cases opened or taken by others appear. */
const REFRESH_MS = 5000;

const STATUS_LABEL = { open: 'open', claimed: 'claimed', resolved: 'resolved' } as const;

/** The review queue: open and claimed cases, oldest first, each with its age (ticking). */
export function CasesPage() {
  const [filter, setFilter] = useState<QueueFilter>('active');
  const [cases, setCases] = useState<CaseRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const now = useNow();
  const who = useWhoami();

  useEffect(() => {
    const abort = new AbortController();
    const load = (): void => {
      Promise.all(
        statusesOf(filter).map((s) =>
          api<{ cases: CaseRow[] }>('GET', `/v1/cases?status=${s}&limit=${LIMIT}`, undefined, {
            signal: abort.signal,
          }).then((r) => r.cases),
        ),
      )
        .then((lists) => {
          setCases(mergeQueue(lists));
          setError(null);
        })
        .catch((err: unknown) => {
          if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
        });
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [filter, tick]);

  const rows = cases ?? [];
  return (
    <main class="page">
      <div class="title-row">
        <h1>Review cases</h1>
        <label class="inline">
          status{' '}
          <select
            name="status"
            value={filter}
            onChange={(e) => setFilter(e.currentTarget.value as QueueFilter)}
          >
            {QUEUE_FILTERS.map((f) => (
              <option value={f.value} key={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <span class="muted" data-testid="case-count" aria-live="polite">
          {cases === null ? 'loading…' : `${rows.length} case${rows.length === 1 ? '' : 's'}`}
          {rows.length >= LIMIT && ` (the oldest ${LIMIT} of each status)`}
        </span>
        <button onClick={() => setTick((t) => t + 1)}>Refresh</button>
      </div>
      {who !== undefined && !canWorkCases(who?.role) && (
        <p class="muted" data-testid="read-only">
          {who === null ? 'Your role is unknown' : `Signed in as a ${who.role}`}: you can read the
          queue; an analyst claims and resolves cases.
        </p>
      )}
      <ErrorNote error={error} />
      <table class="rows" data-testid="cases">
        <thead>
          <tr>
            <th>age</th>
            <th>opened</th>
            <th>case</th>
            <th>transaction_id</th>
            <th>status</th>
            <th>decision</th>
            <th class="num">score</th>
            <th>rules</th>
            <th>assignee</th>
            {filter === 'resolved' && <th>outcome</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.case_id} data-case={c.case_id} data-transaction={c.transaction_id}>
              <td class="num age" title={`opened ${dateTime(c.opened_at)}`}>
                {ageOf(c.opened_at, now)}
              </td>
              <td>{dateTime(c.opened_at)}</td>
              <td>
                <Link to={`/cases/${encodeURIComponent(c.case_id)}`}>
                  <code>{c.case_id.slice(0, 8)}</code>
                  <span class="visually-hidden"> case of {c.transaction_id}</span>
                </Link>
              </td>
              <td>{c.transaction_id}</td>
              <td>
                <span class={`status ${c.status}`} data-testid="case-status">
                  {STATUS_LABEL[c.status]}
                </span>
              </td>
              <td>
                <DecisionBadge decision={c.decision} />
              </td>
              <td class="num">{c.risk_score}</td>
              <td class="reasons">
                {c.reasons.map((r) => (
                  <span class="chip" key={r}>
                    {r}
                  </span>
                ))}
              </td>
              <td>{c.assignee ?? <span class="muted">—</span>}</td>
              {filter === 'resolved' && (
                <td>
                  {c.outcome !== undefined && (
                    <span class={`outcome ${c.outcome}`}>{c.outcome}</span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {cases !== null && rows.length === 0 && (
        <p class="muted">
          {filter === 'resolved'
            ? 'No case is resolved yet.'
            : 'The queue is empty: every review decision opens a case here.'}
        </p>
      )}
    </main>
  );
}
