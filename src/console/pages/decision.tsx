import { useEffect, useState } from 'preact/hooks';
import { DecisionBadge, ErrorNote, dateTime } from '../components/badge.tsx';
import { Link } from '../components/link.tsx';
import { api } from '../lib/api.ts';
import type { DecisionDetail, ExplainedCondition } from '../lib/types.ts';

const show = (v: unknown): string => (v === undefined ? '—' : JSON.stringify(v));

/** One node of a fired rule's condition tree, with the fact value it compared. */
function ConditionNode(props: { node: ExplainedCondition }) {
  const { node } = props;
  const mark = <span class={node.result ? 'ok' : 'no'}>{node.result ? '✓' : '✗'}</span>;
  if ('all' in node || 'any' in node) {
    const kind = 'all' in node ? 'all' : 'any';
    const children = 'all' in node ? node.all : node.any;
    return (
      <li>
        {mark} <b>{kind}</b> of
        <ul class="tree">
          {children.map((c, i) => (
            <ConditionNode node={c} key={i} />
          ))}
        </ul>
      </li>
    );
  }
  if ('not' in node) {
    return (
      <li>
        {mark} <b>not</b>
        <ul class="tree">
          <ConditionNode node={node.not} />
        </ul>
      </li>
    );
  }
  return (
    <li>
      {mark} <code>{node.fact}</code>
      {node.path !== undefined && <code>{node.path}</code>} <i>{node.operator}</i>{' '}
      <code>{show(node.value)}</code> <span class="muted">— fact was</span>{' '}
      <code class="fact-value">{show(node.factValue)}</code>
      {node.error !== undefined && <span class="error"> {node.error}</span>}
    </li>
  );
}

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
          <section class="summary">
            <DecisionBadge decision={detail.response.decision} />
            <span class="big">{detail.response.risk_score}</span>
            <span>
              model score{' '}
              <b>
                {detail.response.anomaly_score === null
                  ? 'none'
                  : detail.response.anomaly_score.toFixed(3)}
              </b>{' '}
              ({detail.response.model_version ?? 'no model'})
            </span>
            <span>
              ruleset version <b data-testid="detail-version">{detail.response.ruleset_version}</b>
            </span>
            <span>scored {dateTime(detail.response.evaluated_at)}</span>
            {detail.response.degraded && (
              <span class="warning">degraded: {detail.response.degraded_reasons?.join(', ')}</span>
            )}
          </section>
          <div class="columns">
            <section>
              <h2>Transaction</h2>
              <table class="kv">
                <tbody>
                  {Object.entries(detail.transaction).map(([k, v]) => (
                    <tr key={k}>
                      <th>{k}</th>
                      <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section>
              <h2>Features</h2>
              <table class="kv">
                <tbody>
                  {Object.entries(detail.response.features).map(([k, v]) => (
                    <tr key={k}>
                      <th>{k}</th>
                      <td class="num">{v === null ? 'null' : String(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <h2>Fired rules</h2>
          {detail.explanation === null && (
            <p class="warning">
              Ruleset version {detail.response.ruleset_version} is no longer stored: the reasons are
              shown without their conditions.
            </p>
          )}
          {(
            detail.explanation ?? [
              ...detail.response.reasons,
              ...(detail.response.shadow_reasons ?? []),
            ]
          ).length === 0 && <p class="muted">No rule fired.</p>}
          {(detail.explanation ?? []).map((r) => (
            <article class="fired" key={r.rule} data-rule={r.rule}>
              <h3>
                {r.rule} <span class="chip">+{r.score}</span>
                {r.action !== undefined && <span class="chip">{r.action}</span>}
                {r.shadow === true && <span class="chip shadow">shadow</span>}
              </h3>
              {r.description !== undefined && <p class="muted">{r.description}</p>}
              <ul class="tree root">
                <ConditionNode node={r.conditions} />
              </ul>
            </article>
          ))}
          {detail.explanation === null &&
            detail.response.reasons.map((r) => (
              <article class="fired" key={r.rule}>
                <h3>
                  {r.rule} <span class="chip">+{r.score}</span>
                </h3>
              </article>
            ))}
        </>
      )}
    </main>
  );
}
