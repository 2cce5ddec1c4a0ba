import { Proposals } from '../components/proposals.tsx';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ErrorNote, dateTime } from '../components/badge.tsx';
import { Backtest } from '../components/backtest.tsx';
import type { Problem } from '../components/json-editor.tsx';
import { JsonEditor } from '../components/json-editor.tsx';
import { Versions } from '../components/versions.tsx';
import { ApiError, api } from '../lib/api.ts';
import type { AuditEntry, RulesetVersion, StatsAnswer, VersionSummary } from '../lib/types.ts';

const pretty = (rules: unknown): string => `${JSON.stringify(rules, null, 2)}\n`;

interface Loaded {
  active: RulesetVersion;
  versions: VersionSummary[];
  audit: AuditEntry[];
  hits: Map<string, number>;
}

async function loadAll(): Promise<Loaded> {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const [active, versions, audit, stats] = await Promise.all([
    api<RulesetVersion>('GET', '/v1/rules'),
    api<{ versions: VersionSummary[] }>('GET', '/v1/rules/versions?limit=100'),
    api<{ audit: AuditEntry[] }>('GET', '/v1/rules/audit?limit=50'),
    api<StatsAnswer>('GET', `/v1/decisions/stats?from=${encodeURIComponent(hourAgo)}`),
  ]);
  return {
    active,
    versions: versions.versions,
    audit: audit.audit,
    hits: new Map(stats.rules.map((r) => [r.rule, r.hits])),
  };
}

/** The draft's problems, each naming its rule, line and path; a click moves the cursor. */
function ProblemList(props: { problems: Problem[] | null; onJump: (at: number) => void }) {
  const { problems } = props;
  if (problems === null) return <p class="muted">Not checked yet.</p>;
  if (problems.length === 0)
    return (
      <p class="ok" data-testid="draft-valid">
        The draft is valid.
      </p>
    );
  return (
    <ul class="problems" data-testid="problems">
      {problems.map((p, i) => (
        <li key={i} data-rule={p.rule ?? ''}>
          <button class="link" onClick={() => props.onJump(p.from)}>
            line {p.line}
          </button>{' '}
          {p.rule !== undefined && <b>{p.rule}</b>} <code>{p.field ?? ''}</code> {p.message}
        </li>
      ))}
    </ul>
  );
}

/** Rules: the active version, a draft editor with validation, backtest, publish, versions. */
export function RulesPage() {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** Bumped after a publish, so that the proposals list reloads. */
  const [proposalsKey, setProposalsKey] = useState(0);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [jump, setJump] = useState<{ at: number; seq: number } | undefined>(undefined);
  const [replace, setReplace] = useState<{ text: string; seq: number } | undefined>(undefined);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const draft = useRef<string>('');
  const [initial, setInitial] = useState<string | null>(null);

  const reload = useCallback(async (resetDraft: boolean): Promise<Loaded> => {
    const next = await loadAll();
    setData(next);
    if (resetDraft) {
      const text = pretty(next.active.rules);
      draft.current = text;
      setInitial((old) => old ?? text);
      setReplace((r) => ({ text, seq: (r?.seq ?? 0) + 1 }));
    }
    return next;
  }, []);

  useEffect(() => {
    reload(true).catch((err: unknown) =>
      setError(err instanceof Error ? err.message : String(err)),
    );
  }, [reload]);

  const parsedDraft = (): unknown => {
    try {
      return JSON.parse(draft.current) as unknown;
    } catch (err) {
      throw new Error(`the draft is not JSON: ${err instanceof Error ? err.message : ''}`, {
        cause: err,
      });
    }
  };

  const publish = async (): Promise<void> => {
    if (data === null) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      // The service names the signed-in user in the audit trail (ADMIN_TOKEN: `admin`).
      const res = await api<{
        changed: boolean;
        version?: number;
        proposal?: { id: number };
      }>('PUT', '/v1/rules', {
        rules: parsedDraft(),
        comment,
        expected_active_version: data.active.version,
      });
      setNotice(
        res.proposal !== undefined
          ? `Proposed as proposal ${res.proposal.id}: another publisher approves it (RULES_APPROVAL=required).`
          : res.changed
            ? `Published: version ${res.version} is active.`
            : `Nothing to publish: version ${res.version} already holds these rules.`,
      );
      setComment('');
      setProposalsKey((k) => k + 1);
      await reload(false);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 409
          ? `${err.message} (another publish happened: reload the page, then compare)`
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const rollback = async (to?: number): Promise<void> => {
    setNotice(null);
    const res = await api<{ version: number; from_version: number }>('POST', '/v1/rules/rollback', {
      ...(to !== undefined && { version: to }),
      comment:
        to === undefined
          ? 'rolled back from the console'
          : `version ${to} activated from the console`,
    });
    setNotice(`Rolled back: version ${res.version} is active (was ${res.from_version}).`);
    await reload(false);
  };

  if (data === null)
    return (
      <main class="page">
        <h1>Rules</h1>
        <ErrorNote error={error} />
        {error === null && <p class="muted">Loading…</p>}
      </main>
    );

  return (
    <main class="page">
      <div class="title-row">
        <h1>Rules</h1>
        <span class="version-tag">
          active version <b data-testid="active-version">{data.active.version}</b>
        </span>
        <span class="muted">
          by {data.active.author}, {dateTime(data.active.created_at)}
          {data.active.comment !== '' && ` — ${data.active.comment}`}
        </span>
      </div>
      {notice !== null && (
        <p class="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <ErrorNote error={error} />
      <table class="rows compact" data-testid="active-rules">
        <thead>
          <tr>
            <th>rule</th>
            <th class="num">score</th>
            <th>action</th>
            <th>shadow</th>
            <th class="num">hits, last hour</th>
            <th>description</th>
          </tr>
        </thead>
        <tbody>
          {data.active.rules.map((r) => (
            <tr key={r.name} data-rule={r.name}>
              <td>{r.name}</td>
              <td class="num">{r.event.params?.score ?? ''}</td>
              <td>{r.event.params?.action ?? ''}</td>
              <td>{r.event.params?.shadow === true ? 'shadow' : ''}</td>
              <td class="num">{data.hits.get(r.name) ?? 0}</td>
              <td class="muted">{r.event.params?.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <section class="panel">
        <h2>Draft</h2>
        <p class="muted">
          The active rules as JSON. Problems are checked by the service as you type.
        </p>
        {initial !== null && (
          <JsonEditor
            initial={initial}
            onChange={(t) => {
              draft.current = t;
            }}
            validate={async (rules, signal) => {
              await api('POST', '/v1/rules/validate', { rules }, { signal });
            }}
            pointerBase="/rules"
            onProblems={setProblems}
            {...(jump !== undefined && { jumpTo: jump })}
            {...(replace !== undefined && { replace })}
          />
        )}
        <ProblemList
          problems={problems}
          onJump={(at) => setJump((j) => ({ at, seq: (j?.seq ?? 0) + 1 }))}
        />
        <div class="actions">
          <button
            onClick={() => {
              const text = pretty(data.active.rules);
              draft.current = text;
              setReplace((r) => ({ text, seq: (r?.seq ?? 0) + 1 }));
            }}
          >
            Reset to the active version
          </button>
        </div>
      </section>

      <Backtest draft={parsedDraft} />

      <section class="panel" data-testid="publish">
        <h2>Publish the draft</h2>
        <div class="actions">
          <label class="grow">
            comment{' '}
            <input
              name="comment"
              value={comment}
              placeholder="why this change"
              onInput={(e) => setComment(e.currentTarget.value)}
            />
          </label>
          <button
            class="primary"
            disabled={busy || (problems !== null && problems.length > 0)}
            onClick={() => void publish()}
          >
            Publish over version {data.active.version}
          </button>
        </div>
      </section>

      <Proposals
        refreshKey={proposalsKey}
        onDecided={() => {
          setNotice('Proposal decided.');
          void reload(false);
        }}
      />

      <Versions versions={data.versions} onRollback={rollback} />

      <section class="panel" data-testid="audit">
        <h2>Audit trail</h2>
        <table class="rows compact">
          <thead>
            <tr>
              <th>at</th>
              <th>action</th>
              <th class="num">version</th>
              <th class="num">from</th>
              <th>by</th>
              <th>comment</th>
            </tr>
          </thead>
          <tbody>
            {data.audit.map((a) => (
              <tr key={a.id}>
                <td>{dateTime(a.at)}</td>
                <td>{a.action}</td>
                <td class="num">{a.version}</td>
                <td class="num">{a.from_version ?? ''}</td>
                <td>{a.actor}</td>
                <td>{a.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}
