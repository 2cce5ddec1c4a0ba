import { DecisionBadge, dateTime } from './badge.tsx';
import type { DecisionDetail, ExplainedCondition } from '../lib/types.ts';

/*
 * A decision's explanation, in parts: shared by the decision page and the case page, so that
 * an analyst working a case reads the same explanation as the one who looked it up.
 */

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

/** The decision, its score, the model's score, the version that decided and when. */
export function DecisionSummary(props: { detail: DecisionDetail }) {
  const r = props.detail.response;
  return (
    <section class="summary">
      <DecisionBadge decision={r.decision} />
      <span class="big">{r.risk_score}</span>
      <span>
        model score <b>{r.anomaly_score === null ? 'none' : r.anomaly_score.toFixed(3)}</b> (
        {r.model_version ?? 'no model'})
      </span>
      <span>
        ruleset version <b data-testid="detail-version">{r.ruleset_version}</b>
      </span>
      <span>scored {dateTime(r.evaluated_at)}</span>
      {r.degraded && <span class="warning">degraded: {r.degraded_reasons?.join(', ')}</span>}
    </section>
  );
}

/** A key–value table (the transaction's fields, or its features). */
export function KeyValues(props: { entries: Array<[string, unknown]>; numeric?: boolean }) {
  return (
    <table class="kv">
      <tbody>
        {props.entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td class={props.numeric === true ? 'num' : undefined}>
              {typeof v === 'string' ? v : v === null ? 'null' : JSON.stringify(v)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every fired rule with its condition tree and the fact values compared. */
export function FiredRules(props: { detail: DecisionDetail }) {
  const { detail } = props;
  const shown = detail.explanation ?? [
    ...detail.response.reasons,
    ...(detail.response.shadow_reasons ?? []),
  ];
  return (
    <>
      {detail.explanation === null && (
        <p class="warning">
          Ruleset version {detail.response.ruleset_version} is no longer stored: the reasons are
          shown without their conditions.
        </p>
      )}
      {shown.length === 0 && <p class="muted">No rule fired.</p>}
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
  );
}
