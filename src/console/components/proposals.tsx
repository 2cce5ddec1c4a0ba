import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../lib/api.ts';
import { ErrorNote, dateTime } from './badge.tsx';

/** A proposal as `GET /v1/rules/proposals` lists it (four-eyes publishing). */
export interface ProposalSummary {
  id: number;
  rule_count: number;
  author: string;
  comment: string;
  expected_active_version: number | null;
  status: 'pending' | 'approved' | 'rejected';
  created_at: string;
}

/**
 * Proposals waiting for a second publisher (RULES_APPROVAL=required): approve one (it becomes
 * the active version, if the version it was proposed on still is) or reject it with a comment.
 * The service refuses its own author's approval and an analyst's; the page shows why.
 */
export function Proposals(props: { refreshKey: number; onDecided: () => void }) {
  const [pending, setPending] = useState<ProposalSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);

  const load = async (signal?: AbortSignal): Promise<void> => {
    const res = await api<{ proposals: ProposalSummary[] }>(
      'GET',
      '/v1/rules/proposals?status=pending',
      undefined,
      signal === undefined ? {} : { signal },
    );
    setPending(res.proposals);
  };

  useEffect(() => {
    const abort = new AbortController();
    load(abort.signal).catch((err: unknown) => {
      if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
    });
    return () => abort.abort();
  }, [props.refreshKey]);

  const decide = async (id: number, action: 'approve' | 'reject'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/v1/rules/proposals/${id}/${action}`, {
        ...(reason.trim() !== '' && { comment: reason.trim() }),
      });
      setReason('');
      await load();
      props.onDecided();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409
          ? `${err.message} (the active version changed since it was proposed: propose again)`
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  if (pending === null && error === null) return null;
  return (
    <section class="panel" data-testid="proposals">
      <h2>Proposals waiting for approval</h2>
      <ErrorNote error={error} />
      {pending !== null && pending.length === 0 && <p class="muted">None.</p>}
      {pending !== null && pending.length > 0 && (
        <>
          <table class="rows compact">
            <thead>
              <tr>
                <th class="num">proposal</th>
                <th class="num">rules</th>
                <th>by</th>
                <th>comment</th>
                <th class="num">over version</th>
                <th>at</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {pending.map((p) => (
                <tr key={p.id} data-proposal={p.id}>
                  <td class="num">{p.id}</td>
                  <td class="num">{p.rule_count}</td>
                  <td>{p.author}</td>
                  <td>{p.comment}</td>
                  <td class="num">{p.expected_active_version ?? '—'}</td>
                  <td>{dateTime(p.created_at)}</td>
                  <td class="actions">
                    <button
                      class="primary"
                      disabled={busy}
                      onClick={() => void decide(p.id, 'approve')}
                    >
                      Approve
                    </button>
                    <button
                      disabled={busy || reason.trim() === ''}
                      onClick={() => void decide(p.id, 'reject')}
                    >
                      Reject
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <label class="grow">
            comment (required to reject){' '}
            <input
              name="proposal-comment"
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </label>
        </>
      )}
    </section>
  );
}
