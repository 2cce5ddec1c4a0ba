import { useEffect, useState } from 'preact/hooks';
import { ErrorNote } from '../components/badge.tsx';
import { DecisionSummary, FiredRules, KeyValues } from '../components/explanation.tsx';
import { Link } from '../components/link.tsx';
import { api } from '../lib/api.ts';
import type { DecisionDetail } from '../lib/types.ts';

/** A decision's page: the transaction, its features, the model score and why each rule fired. */
export function DecisionPage(props: { id: string }) {
  const [detail, setDetail] = useState<DecisionDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    api<DecisionDetail>('GET', `/v1/decisions/${encodeURIComponent(props.id)}`, undefined, {
      signal: abort.signal,
    })
      .then(setDetail)
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => abort.abort();
  }, [props.id]);

  return (
    <main class="page">
      <p>
        <Link to="/">← Live decisions</Link>
      </p>
      <h1>
        Transaction <code>{props.id}</code>
      </h1>
      <ErrorNote error={error} />
      {detail !== null && (
        <>
          <DecisionSummary detail={detail} />
          <div class="columns">
            <section>
              <h2>Transaction</h2>
              <KeyValues entries={Object.entries(detail.transaction)} />
            </section>
            <section>
              <h2>Features</h2>
              <KeyValues entries={Object.entries(detail.response.features)} numeric />
            </section>
          </div>
          <h2>Fired rules</h2>
          <FiredRules detail={detail} />
        </>
      )}
    </main>
  );
}
