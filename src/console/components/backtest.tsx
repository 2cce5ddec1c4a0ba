import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { parseTransactionsFile } from '../lib/transactions-file.ts';
import type { BacktestResult, Decision } from '../lib/types.ts';
import { DecisionBadge, ErrorNote } from './badge.tsx';

const DECISIONS: Decision[] = ['approve', 'review', 'decline'];

/** Backtests the draft on this replica's recent traffic or on an uploaded file. */
export function Backtest(props: { draft: () => unknown }) {
  const [result, setResult] = useState<BacktestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [file, setFile] = useState<File | null>(null);

  const run = async (source: 'recent' | 'file'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const rules = props.draft();
      let body: Record<string, unknown> = { rules };
      if (source === 'file') {
        if (file === null) throw new Error('choose an NDJSON or CSV file first');
        body = { rules, transactions: parseTransactionsFile(file.name, await file.text()) };
      }
      setResult(await api<BacktestResult>('POST', '/v1/rules/backtest', body));
    } catch (err) {
      setResult(null);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" data-testid="backtest">
      <h2>Backtest the draft</h2>
      <div class="actions">
        <button onClick={() => void run('recent')} disabled={busy}>
          Backtest on recent traffic
        </button>
        <span class="muted">or</span>
        <input
          type="file"
          accept=".ndjson,.jsonl,.json,.csv"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
        <button onClick={() => void run('file')} disabled={busy || file === null}>
          Backtest on file
        </button>
      </div>
      <ErrorNote error={error} />
      {result !== null && (
        <div data-testid="backtest-result">
          <p>
            <b>{result.transactions}</b> transactions (
            {result.source === 'recent' ? 'recent traffic' : 'the file'}), against active version{' '}
            {result.active_version}: <b>{result.changed_count}</b> decisions and{' '}
            <b>{result.score_changed_count}</b> scores would change.
          </p>
          <table class="rows compact">
            <thead>
              <tr>
                <th>decision mix</th>
                {DECISIONS.map((d) => (
                  <th class="num" key={d}>
                    {d}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>active</td>
                {DECISIONS.map((d) => (
                  <td class="num" key={d}>
                    {result.decisions.active[d]}
                  </td>
                ))}
              </tr>
              <tr>
                <td>draft</td>
                {DECISIONS.map((d) => (
                  <td class="num" key={d}>
                    {result.decisions.candidate[d]}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
          <table class="rows compact">
            <thead>
              <tr>
                <th>rule</th>
                <th class="num">hits active</th>
                <th class="num">hits draft</th>
              </tr>
            </thead>
            <tbody>
              {result.rules.map((r) => (
                <tr key={r.rule} class={r.active_hits !== r.candidate_hits ? 'changed' : ''}>
                  <td>
                    {r.rule}
                    {r.shadow && <span class="chip shadow">shadow</span>}
                  </td>
                  <td class="num">{r.active_hits ?? '—'}</td>
                  <td class="num">{r.candidate_hits ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.changed.length > 0 && (
            <>
              <h3>Changed decisions</h3>
              <table class="rows compact">
                <thead>
                  <tr>
                    <th>transaction_id</th>
                    <th>active</th>
                    <th>draft</th>
                  </tr>
                </thead>
                <tbody>
                  {result.changed.map((c) => (
                    <tr key={c.transaction_id}>
                      <td>{c.transaction_id}</td>
                      <td>
                        <DecisionBadge decision={c.active.decision} /> {c.active.risk_score}
                      </td>
                      <td>
                        <DecisionBadge decision={c.candidate.decision} /> {c.candidate.risk_score}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </section>
  );
}
