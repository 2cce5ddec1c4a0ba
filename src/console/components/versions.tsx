import { diffJson } from 'diff';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { diffRulesets } from '../lib/rules-diff.ts';
import type { RuleChange } from '../lib/rules-diff.ts';
import type { RulesetVersion, VersionSummary } from '../lib/types.ts';
import { ErrorNote, dateTime } from './badge.tsx';

function JsonDiff(props: { change: RuleChange }) {
  const { before, after } = props.change;
  // An added or removed rule is shown whole, not as a diff against nothing.
  const parts =
    before === undefined || after === undefined
      ? [
          {
            value: JSON.stringify(before ?? after, null, 2),
            added: before === undefined,
            removed: after === undefined,
          },
        ]
      : diffJson(before, after);
  return (
    <pre class="json-diff">
      {parts.map((p, i) => (
        <span key={i} class={p.added ? 'add' : p.removed ? 'del' : 'same'}>
          {p.value
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${l}`)
            .join('\n')}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

/** Two versions compared rule by rule, with a JSON diff of each changed rule. */
function VersionDiff(props: { versions: VersionSummary[] }) {
  const { versions } = props;
  const active = versions.find((v) => v.active)?.version;
  const [from, setFrom] = useState<number | undefined>(undefined);
  const [to, setTo] = useState<number | undefined>(undefined);
  const [diff, setDiff] = useState<ReturnType<typeof diffRulesets> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const a = from ?? versions.find((v) => v.version !== active)?.version;
  const b = to ?? active;

  useEffect(() => {
    if (a === undefined || b === undefined) return;
    const abort = new AbortController();
    Promise.all([
      api<RulesetVersion>('GET', `/v1/rules/versions/${a}`, undefined, { signal: abort.signal }),
      api<RulesetVersion>('GET', `/v1/rules/versions/${b}`, undefined, { signal: abort.signal }),
    ])
      .then(([x, y]) => {
        setDiff(diffRulesets(x.rules, y.rules));
        setError(null);
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => abort.abort();
  }, [a, b]);

  const pick = (value: number | undefined, set: (v: number) => void, name: string) => (
    <select name={name} value={value} onChange={(e) => set(Number(e.currentTarget.value))}>
      {versions.map((v) => (
        <option value={v.version} key={v.version}>
          version {v.version}
          {v.active ? ' (active)' : ''}
        </option>
      ))}
    </select>
  );
  return (
    <div data-testid="diff">
      <div class="actions">
        Compare {pick(a, setFrom, 'diff-from')} with {pick(b, setTo, 'diff-to')}
      </div>
      <ErrorNote error={error} />
      {diff !== null && (
        <>
          <p class="muted">
            {diff.changes.length === 0
              ? 'The two versions hold the same rules.'
              : `${diff.changes.filter((c) => c.kind === 'added').length} added, ${diff.changes.filter((c) => c.kind === 'removed').length} removed, ${diff.changes.filter((c) => c.kind === 'changed').length} changed`}
            {`; ${diff.unchanged} unchanged`}
          </p>
          {diff.changes.map((c) => (
            <article class={`rule-change ${c.kind}`} key={c.name} data-rule={c.name}>
              <h3>
                <span class={`chip ${c.kind}`}>{c.kind}</span> {c.name}
              </h3>
              <JsonDiff change={c} />
            </article>
          ))}
        </>
      )}
    </div>
  );
}

/** Every version, the diff between any two, and rollback. */
export function Versions(props: {
  versions: VersionSummary[];
  onRollback: (to?: number) => Promise<void>;
}) {
  const [error, setError] = useState<string | null>(null);
  const rollback = (to?: number): void => {
    setError(null);
    props
      .onRollback(to)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <section class="panel" data-testid="versions">
      <h2>Versions</h2>
      <div class="actions">
        <button onClick={() => rollback()}>Roll back to the previous version</button>
      </div>
      <ErrorNote error={error} />
      <table class="rows compact">
        <thead>
          <tr>
            <th class="num">version</th>
            <th class="num">rules</th>
            <th>author</th>
            <th>comment</th>
            <th>created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.versions.map((v) => (
            <tr key={v.version} class={v.active ? 'active-row' : ''}>
              <td class="num">{v.version}</td>
              <td class="num">{v.rule_count}</td>
              <td>{v.author}</td>
              <td>{v.comment}</td>
              <td>{dateTime(v.created_at)}</td>
              <td>
                {v.active ? (
                  <b>active</b>
                ) : (
                  <button class="small" onClick={() => rollback(v.version)}>
                    activate
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Diff</h2>
      {props.versions.length > 0 && <VersionDiff versions={props.versions} />}
    </section>
  );
}
