import { useEffect, useState } from 'preact/hooks';
import { DecisionBadge, ErrorNote, dateTime, time } from '../components/badge.tsx';
import { DecisionSummary, FiredRules, KeyValues } from '../components/explanation.tsx';
import { Link } from '../components/link.tsx';
import { ApiError, api } from '../lib/api.ts';
import { ageOf, caseActions } from '../lib/cases.ts';
import { useNow } from '../lib/ticker.ts';
import type { CaseRow, DecisionDetail, DecisionRow, Outcome } from '../lib/types.ts';
import { useWhoami } from '../lib/whoami.ts';

/** Earlier decisions of the account shown at most. */
const HISTORY = 50;

const message = (err: unknown): string => {
  if (err instanceof ApiError && err.status === 409)
    return `Not done: ${err.message}. The case is shown as it is now.`;
  if (err instanceof ApiError && err.status === 403)
    return `Not allowed: ${err.message}. Claiming and resolving needs the analyst role.`;
  return err instanceof Error ? err.message : String(err);
};

/** The account's recent decisions on this replica (GET /v1/decisions?account=), newest first. */
function AccountHistory(props: { account: string; current: string }) {
  const [rows, setRows] = useState<DecisionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    const q = new URLSearchParams({ account: props.account, limit: String(HISTORY) });
    api<{ decisions: DecisionRow[] }>('GET', `/v1/decisions?${q.toString()}`, undefined, {
      signal: abort.signal,
    })
      .then((r) => setRows(r.decisions))
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(message(err));
      });
    return () => abort.abort();
  }, [props.account]);
  return (
    <section class="panel" data-testid="account-history">
      <h2>
        Recent history of account <code>{props.account}</code>
      </h2>
      <p class="muted">
        The account&apos;s decisions among this replica&apos;s recent scored transactions, newest
        first; this case&apos;s transaction is marked.
      </p>
      <ErrorNote error={error} />
      {rows !== null && (
        <table class="rows compact">
          <thead>
            <tr>
              <th>event time</th>
              <th>scored</th>
              <th>transaction_id</th>
              <th>decision</th>
              <th class="num">score</th>
              <th class="num">amount</th>
              <th>reasons</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.transaction_id}
                data-id={r.transaction_id}
                class={r.transaction_id === props.current ? 'active-row' : undefined}
              >
                <td>{dateTime(r.timestamp)}</td>
                <td>{time(r.evaluated_at)}</td>
                <td>
                  <Link to={`/decisions/${encodeURIComponent(r.transaction_id)}`}>
                    {r.transaction_id}
                  </Link>
                  {r.transaction_id === props.current && <span class="chip">this case</span>}
                </td>
                <td>
                  <DecisionBadge decision={r.decision} />
                </td>
                <td class="num">{r.risk_score}</td>
                <td class="num">
                  {r.amount.toLocaleString()} {r.currency ?? ''}
                </td>
                <td class="reasons">
                  {r.reasons.map((x) => (
                    <span class="chip" key={x.rule}>
                      {x.rule}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Claim, and resolve as fraud or legit with a comment; what the role and the case allow. */
function CaseWork(props: {
  c: CaseRow;
  user?: string;
  role?: string;
  onChange: (c: CaseRow) => void;
}) {
  const { c } = props;
  const [outcome, setOutcome] = useState<Outcome | ''>('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const may = caseActions(c, props.user, props.role);

  const call = async (path: string, body?: unknown): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      props.onChange(await api<CaseRow>('POST', path, body));
    } catch (err) {
      setError(message(err));
      // The case may have changed under us (claimed or resolved by someone else): show it.
      await api<CaseRow>('GET', `/v1/cases/${c.case_id}`)
        .then(props.onChange)
        .catch(() => undefined);
    } finally {
      setBusy(false);
    }
  };

  if (c.status === 'resolved')
    return (
      <section class="panel" data-testid="case-resolution">
        <h2>Resolved</h2>
        <p>
          <span class={`outcome ${c.outcome ?? ''}`} data-testid="case-outcome">
            {c.outcome}
          </span>{' '}
          by <b>{c.assignee ?? '?'}</b> at {dateTime(c.resolved_at)}
        </p>
        {c.comment !== undefined && c.comment !== '' && <blockquote>{c.comment}</blockquote>}
        <p class="muted">The outcome is the transaction&apos;s label (source case).</p>
      </section>
    );
  return (
    <section class="panel" data-testid="case-work">
      <h2>Work the case</h2>
      <ErrorNote error={error} />
      {!may.claim && !may.resolve && (
        <p class="muted" data-testid="case-read-only">
          {may.heldBy !== undefined
            ? `Claimed by ${may.heldBy}: only they can resolve it.`
            : 'Read only: claiming and resolving needs the analyst role.'}
        </p>
      )}
      {may.claim && (
        <p>
          <button disabled={busy} onClick={() => void call(`/v1/cases/${c.case_id}/claim`)}>
            Claim
          </button>{' '}
          <span class="muted">takes it for you, so that no one else works it at the same time</span>
        </p>
      )}
      {may.resolve && (
        <form
          class="resolve"
          onSubmit={(e) => {
            e.preventDefault();
            if (outcome === '') {
              setError('Choose an outcome: fraud or legit.');
              return;
            }
            void call(`/v1/cases/${c.case_id}/resolve`, {
              outcome,
              ...(comment.trim() !== '' && { comment: comment.trim() }),
            });
          }}
        >
          <fieldset>
            <legend>Outcome</legend>
            {(['fraud', 'legit'] as const).map((o) => (
              <label key={o}>
                <input
                  type="radio"
                  name="outcome"
                  value={o}
                  checked={outcome === o}
                  onChange={() => {
                    setOutcome(o);
                    setError(null);
                  }}
                />{' '}
                {o}
              </label>
            ))}
          </fieldset>
          <label class="stack">
            Comment (optional)
            <textarea
              name="comment"
              rows={3}
              maxLength={2000}
              value={comment}
              onInput={(e) => setComment(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Resolve
          </button>
        </form>
      )}
    </section>
  );
}

/** A case: its state and work, its decision's explanation, and the account's recent history. */
export function CasePage(props: { id: string }) {
  const [c, setCase] = useState<CaseRow | null>(null);
  const [detail, setDetail] = useState<DecisionDetail | null>(null);
  const [detailMissing, setDetailMissing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const who = useWhoami();
  const now = useNow();

  useEffect(() => {
    const abort = new AbortController();
    setCase(null);
    setDetail(null);
    setDetailMissing(null);
    api<CaseRow>('GET', `/v1/cases/${encodeURIComponent(props.id)}`, undefined, {
      signal: abort.signal,
    })
      .then((found) => {
        setCase(found);
        return api<DecisionDetail>(
          'GET',
          `/v1/decisions/${encodeURIComponent(found.transaction_id)}`,
          undefined,
          { signal: abort.signal },
        )
          .then(setDetail)
          .catch((err: unknown) => {
            if (abort.signal.aborted) return;
            // Older than this replica's recent transactions: the case still works.
            if (err instanceof ApiError && err.status === 404) setDetailMissing(err.message);
            else setError(message(err));
          });
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(message(err));
      });
    return () => abort.abort();
  }, [props.id]);

  const account = detail?.transaction.account_id;
  return (
    <main class="page">
      <p>
        <Link to="/cases">← Review cases</Link>
      </p>
      <h1>
        Case <code>{props.id}</code>
      </h1>
      <ErrorNote error={error} />
      {c !== null && (
        <>
          <section class="summary" data-testid="case-summary">
            <span class={`status ${c.status}`} data-testid="case-status">
              {c.status}
            </span>
            <span>
              transaction{' '}
              <Link to={`/decisions/${encodeURIComponent(c.transaction_id)}`}>
                <code>{c.transaction_id}</code>
              </Link>
            </span>
            <span>
              opened {dateTime(c.opened_at)}{' '}
              {c.status !== 'resolved' && (
                <span class="muted">({ageOf(c.opened_at, now)} ago)</span>
              )}
            </span>
            {c.assignee !== undefined && (
              <span>
                assignee <b data-testid="case-assignee">{c.assignee}</b>
              </span>
            )}
          </section>
          {/* Drawn once the role is known, so that no button flashes by that the role lacks. */}
          {who !== undefined && (
            <CaseWork
              c={c}
              {...(who !== null && { user: who.user, role: who.role })}
              onChange={setCase}
            />
          )}
        </>
      )}
      {detailMissing !== null && (
        <p class="warning">
          {detailMissing}: the explanation and the account&apos;s history are kept for recent
          transactions only. The case&apos;s rules:{' '}
          {c?.reasons.map((r) => (
            <span class="chip" key={r}>
              {r}
            </span>
          ))}
        </p>
      )}
      {detail !== null && (
        <>
          <h2>Decision</h2>
          <DecisionSummary detail={detail} />
          <div class="columns">
            <section>
              <h2>Transaction</h2>
              <KeyValues entries={Object.entries(detail.transaction)} />
            </section>
            <section>
              <h2>Fired rules</h2>
              <FiredRules detail={detail} />
            </section>
          </div>
          {typeof account === 'string' && (
            <AccountHistory account={account} current={c?.transaction_id ?? ''} />
          )}
        </>
      )}
    </main>
  );
}
