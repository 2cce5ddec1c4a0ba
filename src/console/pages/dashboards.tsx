import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorNote, dateTime } from '../components/badge.tsx';
import type { Series } from '../components/chart.tsx';
import { COLORS, DECISION_COLORS, TimeChart } from '../components/chart.tsx';
import { api } from '../lib/api.ts';
import type { StatsAnswer, WindowRow } from '../lib/types.ts';

const RANGES = [
  { label: 'last 15 minutes', ms: 15 * 60_000 },
  { label: 'last hour', ms: 3_600_000 },
  { label: 'last 6 hours', ms: 6 * 3_600_000 },
  { label: 'last 24 hours', ms: 24 * 3_600_000 },
];
const DIMENSIONS = ['all', 'merchant_category', 'location', 'channel'];
const METRICS = [
  { key: 'total_amount', label: 'total amount' },
  { key: 'transaction_count', label: 'transactions' },
  { key: 'high_risk_transactions', label: 'high-risk transactions (score ≥ 80)' },
  { key: 'avg_risk_score', label: 'average risk score' },
] as const;
/** Series drawn at most per chart: the busiest rules or dimension values. */
const TOP = 8;

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Aligns rows on their distinct times: one array of values a key, null where it has none. */
function pivot<T>(
  rows: T[],
  time: (r: T) => number,
  key: (r: T) => string,
  value: (r: T) => number,
  keys: string[],
): { times: number[]; values: Map<string, Array<number | null>> } {
  const times = [...new Set(rows.map(time))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const values = new Map(keys.map((k) => [k, times.map((): number | null => null)]));
  for (const r of rows) {
    const v = values.get(key(r));
    const i = at.get(time(r));
    if (v !== undefined && i !== undefined) v[i] = (v[i] ?? 0) + value(r);
  }
  return { times, values };
}

/** Decision mix and rule hits over time, and the aggregate risk windows by dimension. */
export function DashboardsPage() {
  const [rangeMs, setRangeMs] = useState(3_600_000);
  const [dimension, setDimension] = useState('all');
  const [stats, setStats] = useState<StatsAnswer | null>(null);
  const [windows, setWindows] = useState<WindowRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    const to = new Date();
    const from = new Date(to.getTime() - rangeMs);
    const q = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    Promise.all([
      api<StatsAnswer>('GET', `/v1/decisions/stats?${q}`, undefined, { signal: abort.signal }),
      api<{ windows: WindowRow[] }>(
        'GET',
        `/v1/windows?${q}&dimension=${dimension}&limit=10000`,
        undefined,
        {
          signal: abort.signal,
        },
      ),
    ])
      .then(([s, w]) => {
        setStats(s);
        setWindows(w.windows);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      });
    return () => abort.abort();
  }, [rangeMs, dimension, tick]);

  // Every minute of the range, empty ones as zeros: the axis spans the range chosen.
  const minutes = useMemo(() => {
    const times: number[] = [];
    const buckets: StatsAnswer['buckets'] = [];
    if (stats === null) return { times, buckets };
    const step = stats.bucket_seconds;
    const byStart = new Map(stats.buckets.map((x) => [seconds(x.start), x]));
    for (let t = Math.floor(seconds(stats.from) / step) * step; t <= seconds(stats.to); t += step) {
      times.push(t);
      buckets.push(byStart.get(t) ?? { start: '', approve: 0, review: 0, decline: 0, rules: {} });
    }
    return { times, buckets };
  }, [stats]);

  const decisionChart = useMemo(() => {
    const b = minutes.buckets;
    // Stacked: each bar is drawn from its total down, so the colours add up to the total; the
    // legend shows each decision's own count.
    const bar = (n: number): number | null => (n === 0 ? null : n);
    const series: Series[] = [
      {
        label: 'approve',
        values: b.map((x) => bar(x.approve + x.review + x.decline)),
        shown: b.map((x) => x.approve),
        color: DECISION_COLORS.approve,
      },
      {
        label: 'review',
        values: b.map((x) => bar(x.review + x.decline)),
        shown: b.map((x) => x.review),
        color: DECISION_COLORS.review,
      },
      {
        label: 'decline',
        values: b.map((x) => bar(x.decline)),
        shown: b.map((x) => x.decline),
        color: DECISION_COLORS.decline,
      },
    ];
    return { times: minutes.times, series };
  }, [minutes]);

  const ruleChart = useMemo(() => {
    const top = (stats?.rules ?? []).slice(0, TOP).map((r) => r.rule);
    return {
      times: minutes.times,
      series: top.map((rule, i): Series => ({
        label: rule,
        values: minutes.buckets.map((x) => x.rules[rule] ?? 0),
        color: COLORS[i % COLORS.length] ?? '#000',
      })),
    };
  }, [minutes, stats]);

  const windowCharts = useMemo(() => {
    const rows = windows ?? [];
    const totals = new Map<string, number>();
    for (const r of rows)
      totals.set(r.dimension_value, (totals.get(r.dimension_value) ?? 0) + r.transaction_count);
    const keys = [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k]) => k);
    const range: [number, number] | undefined =
      stats === null ? undefined : [seconds(stats.from), seconds(stats.to)];
    return METRICS.map((m) => {
      const p = pivot(
        rows,
        (r) => seconds(r.window_start),
        (r) => r.dimension_value,
        (r) => Number(r[m.key]),
        keys,
      );
      return {
        title: m.label,
        range,
        times: p.times,
        series: keys.map((k, i): Series => ({
          label: k === '*' ? 'all' : k,
          values: p.values.get(k) ?? [],
          color: COLORS[i % COLORS.length] ?? '#000',
        })),
      };
    });
  }, [windows, stats]);

  const flagged = (windows ?? [])
    .filter((w) => w.risk_flag)
    .slice(-20)
    .reverse();

  return (
    <main class="page">
      <div class="title-row">
        <h1>Dashboards</h1>
        <select
          name="range"
          value={rangeMs}
          onChange={(e) => setRangeMs(Number(e.currentTarget.value))}
        >
          {RANGES.map((r) => (
            <option value={r.ms} key={r.ms}>
              {r.label}
            </option>
          ))}
        </select>
        <button onClick={() => setTick((t) => t + 1)}>Refresh</button>
      </div>
      <ErrorNote error={error} />
      <p class="muted">
        Decisions and rule hits: this replica, per minute of scoring time. Risk windows: the stored
        aggregate windows (all replicas) by event time.
      </p>
      <div class="grid2">
        <section class="panel">
          <TimeChart
            title="Decision mix per minute"
            bars
            times={decisionChart.times}
            series={decisionChart.series}
          />
        </section>
        <section class="panel">
          <TimeChart
            title="Rule hits per minute"
            times={ruleChart.times}
            series={ruleChart.series}
          />
        </section>
      </div>
      <div class="title-row">
        <h2>Risk windows</h2>
        <select
          name="dimension"
          value={dimension}
          onChange={(e) => setDimension(e.currentTarget.value)}
        >
          {DIMENSIONS.map((d) => (
            <option value={d} key={d}>
              by {d}
            </option>
          ))}
        </select>
        <span class="muted">{windows?.length ?? 0} window rows</span>
      </div>
      <div class="grid2">
        {windowCharts.map((c) => (
          <section class="panel" key={c.title}>
            <TimeChart
              title={c.title}
              times={c.times}
              series={c.series}
              {...(c.range !== undefined && { range: c.range })}
            />
          </section>
        ))}
      </div>
      <section class="panel">
        <h2>Flagged windows (risk_flag)</h2>
        {flagged.length === 0 ? (
          <p class="muted">No window in this range holds a high-risk transaction.</p>
        ) : (
          <table class="rows compact">
            <thead>
              <tr>
                <th>window</th>
                <th>{dimension === 'all' ? 'dimension' : dimension}</th>
                <th class="num">total amount</th>
                <th class="num">transactions</th>
                <th class="num">high risk</th>
                <th class="num">avg score</th>
              </tr>
            </thead>
            <tbody>
              {flagged.map((w) => (
                <tr key={`${w.window_start}/${w.dimension_value}`}>
                  <td>{dateTime(w.window_start)}</td>
                  <td>{w.dimension_value === '*' ? 'all' : w.dimension_value}</td>
                  <td class="num">{w.total_amount.toLocaleString()}</td>
                  <td class="num">{w.transaction_count}</td>
                  <td class="num">{w.high_risk_transactions}</td>
                  <td class="num">{w.avg_risk_score}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}
