import { useEffect, useRef, useState } from 'preact/hooks';
import { DecisionBadge, ErrorNote, time } from '../components/badge.tsx';
import { Link } from '../components/link.tsx';
import { api, readEventStream } from '../lib/api.ts';
import type { Decision, DecisionRow } from '../lib/types.ts';

interface Filters {
  decision: '' | Decision;
  rule: string;
  account: string;
}

/** Rows shown at most: older ones fall off the end as new ones arrive. */
const MAX_ROWS = 200;

const query = (f: Filters, extra: Record<string, string> = {}): string => {
  const q = new URLSearchParams(extra);
  if (f.decision !== '') q.set('decision', f.decision);
  if (f.rule.trim() !== '') q.set('rule', f.rule.trim());
  if (f.account.trim() !== '') q.set('account', f.account.trim());
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
};

/** Merges fresh rows in front of the list, newest first, without repeating an id. */
function merge(fresh: DecisionRow[], rows: DecisionRow[]): DecisionRow[] {
  const seen = new Set(fresh.map((r) => r.transaction_id));
  return [...fresh, ...rows.filter((r) => !seen.has(r.transaction_id))].slice(0, MAX_ROWS);
}

/** The landing page: the recent decisions, and each new one as it is made (streamed). */
export function DecisionsPage() {
  const [filters, setFilters] = useState<Filters>({ decision: '', rule: '', account: '' });
  const [applied, setApplied] = useState<Filters>(filters);
  const [rows, setRows] = useState<DecisionRow[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const pending = useRef<DecisionRow[]>([]);

  useEffect(() => {
    const abort = new AbortController();
    setRows([]);
    setDropped(0);
    // New rows are collected and shown once a frame: a burst of traffic is one render.
    let frame = 0;
    const show = (): void => {
      frame = 0;
      const fresh = pending.current.reverse();
      pending.current = [];
      setRows((old) => merge(fresh, old));
    };
    const load = (): void => {
      api<{ decisions: DecisionRow[] }>(
        'GET',
        `/v1/decisions${query(applied, { limit: '100' })}`,
        undefined,
        {
          signal: abort.signal,
        },
      )
        .then((r) => {
          setRows((old) => merge(old, r.decisions));
          setError(null);
        })
        .catch((err: unknown) => {
          if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
        });
    };
    readEventStream(
      `/v1/decisions/stream${query(applied)}`,
      {
        onOpen() {
          setLive('live');
          // Whatever was scored before (or while reconnecting) comes from the list.
          load();
        },
        onEvent(event, data) {
          if (event === 'decision') {
            pending.current.push(JSON.parse(data) as DecisionRow);
            if (frame === 0) frame = requestAnimationFrame(show);
          } else if (event === 'dropped') {
            const n = (JSON.parse(data) as { dropped: number }).dropped;
            setDropped((d) => d + n);
          }
        },
        onError(err) {
          setLive('reconnecting');
          setError(err instanceof Error ? err.message : String(err));
        },
      },
      abort.signal,
    );
    return () => {
      abort.abort();
      if (frame !== 0) cancelAnimationFrame(frame);
      pending.current = [];
    };
  }, [applied]);

  return (
    <main class="page">
      <div class="title-row">
        <h1>Live decisions</h1>
        <span class={`live ${live}`} data-testid="live-state">
          {live === 'live' ? '● live' : live}
        </span>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...filters });
        }}
      >
        <select
          name="decision"
          value={filters.decision}
          onChange={(e) => {
            const next = { ...filters, decision: e.currentTarget.value as Filters['decision'] };
            setFilters(next);
            setApplied(next);
          }}
        >
          <option value="">every decision</option>
          <option value="approve">approve</option>
          <option value="review">review</option>
          <option value="decline">decline</option>
        </select>
        <input
          name="rule"
          placeholder="rule that fired"
          value={filters.rule}
          onInput={(e) => setFilters({ ...filters, rule: e.currentTarget.value })}
        />
        <input
          name="account"
          placeholder="account_id"
          value={filters.account}
          onInput={(e) => setFilters({ ...filters, account: e.currentTarget.value })}
        />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      {dropped > 0 && (
        <p class="warning" role="status">
          This page fell behind and the service dropped {dropped} decision
          {dropped === 1 ? '' : 's'} for it; reload to see the list as it is.
        </p>
      )}
      <table class="rows" data-testid="decisions">
        <thead>
          <tr>
            <th>time</th>
            <th>transaction_id</th>
            <th>decision</th>
            <th class="num">score</th>
            <th>reasons</th>
            <th>account</th>
            <th class="num">amount</th>
            <th class="num">version</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.transaction_id} data-id={r.transaction_id}>
              <td>{time(r.evaluated_at)}</td>
              <td>
                <Link to={`/decisions/${encodeURIComponent(r.transaction_id)}`}>
                  {r.transaction_id}
                </Link>
              </td>
              <td>
                <DecisionBadge decision={r.decision} />
              </td>
              <td class="num">{r.risk_score}</td>
              <td class="reasons">
                {r.reasons.map((x) => (
                  <span class="chip" key={x.rule} title={x.description}>
                    {x.rule} +{x.score}
                  </span>
                ))}
                {r.shadow_reasons?.map((x) => (
                  <span class="chip shadow" key={x.rule} title="shadow rule: not counted">
                    {x.rule}
                  </span>
                ))}
              </td>
              <td>{r.account_id}</td>
              <td class="num">
                {r.amount.toLocaleString()} {r.currency ?? ''}
              </td>
              <td class="num" data-testid="ruleset-version">
                {r.ruleset_version}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="muted">No decisions yet: score a transaction.</p>}
    </main>
  );
}
