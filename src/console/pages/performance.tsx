import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorNote, dateTime } from '../components/badge.tsx';
import type { Series } from '../components/chart.tsx';
import { COLORS, TimeChart } from '../components/chart.tsx';
import { api } from '../lib/api.ts';
import type { BucketUnit } from '../lib/performance.ts';
import { bucketsOf, fromLocalInput, percent, toLocalInput, unitFor } from '../lib/performance.ts';
import type { PerformanceAnswer } from '../lib/types.ts';

const HOUR_MS = 3_600_000;
const PRESETS = [
  { label: 'last 24 hours', ms: 24 * HOUR_MS },
  { label: 'last 48 hours', ms: 48 * HOUR_MS },
  { label: 'last 7 days', ms: 7 * 24 * HOUR_MS },
  { label: 'last 30 days', ms: 30 * 24 * HOUR_MS },
];
/** Calls in flight at once while the buckets load: the service is shared with scoring. */
const PARALLEL = 4;
/** Rules drawn at most per chart beside the decision: the most hit. */
const TOP = 6;
/** The charts' y axis: a ratio is drawn as a percentage, the whole scale always shown. */
const PERCENT: [number, number] = [0, 100];
const DECISION_SERIES = 'decision (review or decline)';

interface Range {
  fromMs: number;
  toMs: number;
}

/** A range named in the page's address (?from=&to=, RFC 3339), so that a view can be shared. */
function rangeFromAddress(): Range | null {
  const q = new URLSearchParams(location.search);
  const from = Date.parse(q.get('from') ?? '');
  const to = Date.parse(q.get('to') ?? '');
  return Number.isFinite(from) && Number.isFinite(to) && from < to
    ? { fromMs: from, toMs: to }
    : null;
}

const query = (r: Range): string =>
  `from=${encodeURIComponent(new Date(r.fromMs).toISOString())}&to=${encodeURIComponent(new Date(r.toMs).toISOString())}`;

/** Runs `jobs` with at most `n` in flight, keeping their order in the answer. */
async function limited<T>(jobs: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      if (job !== undefined) out[i] = await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

/**
 * Each rule's precision and recall against the outcome labels over a chosen range (transaction
 * event time), the decision's as a whole, and both over time per hour or day. Every point of
 * the charts is one GET /v1/rules/performance over its bucket: the same exact count as the
 * table, with no second way of counting to keep in step.
 */
export function PerformancePage() {
  const [range, setRange] = useState<Range>(
    () => rangeFromAddress() ?? { fromMs: Date.now() - 7 * 24 * HOUR_MS, toMs: Date.now() },
  );
  const [fromText, setFromText] = useState(toLocalInput(range.fromMs));
  const [toText, setToText] = useState(toLocalInput(range.toMs));
  const [total, setTotal] = useState<PerformanceAnswer | null>(null);
  const [buckets, setBuckets] = useState<PerformanceAnswer[] | null>(null);
  const [unit, setUnit] = useState<BucketUnit>(unitFor(range.fromMs, range.toMs));
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    const get = (r: Range) => () =>
      api<PerformanceAnswer>('GET', `/v1/rules/performance?${query(r)}`, undefined, {
        signal: abort.signal,
      });
    setError(null);
    setBuckets(null);
    let cuts: Range[] = [];
    try {
      cuts = bucketsOf(range.fromMs, range.toMs);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
    setUnit(unitFor(range.fromMs, range.toMs));
    get(range)()
      .then(setTotal)
      .then(() => limited(cuts.map(get), PARALLEL))
      .then(setBuckets)
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => abort.abort();
  }, [range, tick]);

  const apply = (next: Range): void => {
    setRange(next);
    setFromText(toLocalInput(next.fromMs));
    setToText(toLocalInput(next.toMs));
    history.replaceState(null, '', `${location.pathname}?${query(next)}`);
  };

  const charts = useMemo(() => {
    if (buckets === null || total === null) return null;
    const times = buckets.map((b) => Math.floor(Date.parse(b.from) / 1000));
    const top = total.rules
      .filter((r) => r.hits > 0)
      .sort((a, b) => b.hits - a.hits || a.rule.localeCompare(b.rule))
      .slice(0, TOP)
      .map((r) => r.rule);
    const pct = (v: number | null | undefined): number | null =>
      v === null || v === undefined ? null : Math.round(v * 1000) / 10;
    const of = (pick: 'precision' | 'recall'): Series[] => [
      {
        label: DECISION_SERIES,
        values: buckets.map((b) => pct(b.decision[pick])),
        color: '#0f172a',
        dash: [8, 5],
      },
      ...top.map((rule, i): Series => ({
        label: rule,
        values: buckets.map((b) => pct(b.rules.find((r) => r.rule === rule)?.[pick])),
        color: COLORS[i % COLORS.length] ?? '#000',
      })),
    ];
    return { times, precision: of('precision'), recall: of('recall') };
  }, [buckets, total]);

  const d = total?.decision;
  return (
    <main class="page">
      <div class="title-row">
        <h1>Rule performance</h1>
        <span class="muted">precision and recall against the outcome labels</span>
      </div>
      <form
        class="filters"
        aria-label="range"
        onSubmit={(e) => {
          e.preventDefault();
          const fromMs = fromLocalInput(fromText);
          const toMs = fromLocalInput(toText);
          if (fromMs === null) return setError('From: enter a date and time.');
          if (toMs === null) return setError('To: enter a date and time.');
          if (!(fromMs < toMs)) return setError('From must be before to.');
          apply({ fromMs, toMs });
        }}
      >
        <label class="inline">
          range{' '}
          <select
            name="preset"
            value=""
            onChange={(e) => {
              const ms = Number(e.currentTarget.value);
              if (ms > 0) apply({ fromMs: Date.now() - ms, toMs: Date.now() });
            }}
          >
            <option value="">choose…</option>
            {PRESETS.map((p) => (
              <option value={p.ms} key={p.ms}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          from{' '}
          <input
            type="datetime-local"
            name="from"
            value={fromText}
            onInput={(e) => setFromText(e.currentTarget.value)}
          />
        </label>
        <label class="inline">
          to{' '}
          <input
            type="datetime-local"
            name="to"
            value={toText}
            onInput={(e) => setToText(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Show</button>
        <button type="button" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      </form>
      <ErrorNote error={error} />
      {total !== null && d !== undefined && (
        <>
          <p class="muted" data-testid="performance-range">
            Transactions with an event time in [{dateTime(total.from)}, {dateTime(total.to)}):{' '}
            <b data-testid="perf-transactions">{total.transactions}</b>, of which{' '}
            <b data-testid="perf-labelled">{total.labelled}</b> labelled and{' '}
            <b data-testid="perf-frauds">{total.frauds}</b> fraud. Precision = fraud hits ÷ labelled
            hits; recall = fraud hits ÷ frauds in the range; — when there is nothing to divide by.
          </p>
          <table class="rows perf" data-testid="performance">
            <thead>
              <tr>
                <th>rule</th>
                <th class="num">hits</th>
                <th class="num">labelled hits</th>
                <th class="num">fraud hits</th>
                <th class="num">precision</th>
                <th class="num">recall</th>
              </tr>
            </thead>
            <tbody>
              <tr class="whole" data-rule="" data-testid="perf-decision">
                <th scope="row">
                  decision as a whole <span class="muted">(review or decline)</span>
                </th>
                <td class="num" data-col="hits">
                  {d.flagged}
                </td>
                <td class="num" data-col="labelled_hits">
                  {d.labelled_flagged}
                </td>
                <td class="num" data-col="fraud_hits">
                  {d.fraud_flagged}
                </td>
                <td class="num" data-col="precision">
                  {percent(d.precision)}
                </td>
                <td class="num" data-col="recall">
                  {percent(d.recall)}
                </td>
              </tr>
              {total.rules.map((r) => (
                <tr key={r.rule} data-rule={r.rule} class={r.shadow ? 'shadow-row' : undefined}>
                  <th scope="row">
                    {r.rule}{' '}
                    {r.shadow && (
                      <span class="chip shadow" title="shadow rule: evaluated, not counted">
                        shadow
                      </span>
                    )}
                  </th>
                  <td class="num" data-col="hits">
                    {r.hits}
                  </td>
                  <td class="num" data-col="labelled_hits">
                    {r.labelled_hits}
                  </td>
                  <td class="num" data-col="fraud_hits">
                    {r.fraud_hits}
                  </td>
                  <td class="num" data-col="precision">
                    {percent(r.precision)}
                  </td>
                  <td class="num" data-col="recall">
                    {percent(r.recall)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {total.rules.length === 0 && <p class="muted">No rule fired in this range.</p>}
        </>
      )}
      <h2>Over time, per {unit}</h2>
      {charts === null ? (
        <p class="muted">{error === null ? 'loading…' : ''}</p>
      ) : (
        <div class="grid2" data-testid="performance-charts">
          <section class="panel">
            <TimeChart
              title={`Precision per ${unit} (%)`}
              times={charts.times}
              series={charts.precision}
              yRange={PERCENT}
              points
            />
          </section>
          <section class="panel">
            <TimeChart
              title={`Recall per ${unit} (%)`}
              times={charts.times}
              series={charts.recall}
              yRange={PERCENT}
              points
            />
          </section>
        </div>
      )}
      <p class="muted">
        A point is missing where its {unit} has no labelled hit (precision) or no labelled fraud
        (recall). Labels arrive late: chargebacks weeks after the payment, so recent {unit}s read
        lower until they do.
      </p>
    </main>
  );
}
