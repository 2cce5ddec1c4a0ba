// The Grafana dashboard and the alerts the chart ships read only series that the service
// exports: each PromQL expression is parsed with Prometheus' grammar and every metric it names is
// looked up in the `/metrics` of a built app. A renamed or misspelt metric fails here rather
// than as an empty panel or an alert that can never fire.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { buildTestApp } from '../../helpers/app.ts';
import type { PromqlSelector } from '../../helpers/promql.ts';
import { exposedSeriesNames, promqlSelectors } from '../../helpers/promql.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

interface Target {
  expr: string;
  refId: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Variable[] };
}
interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read('helm/files/grafana/risk-scoring.json')) as Dashboard;
const alertsText = read('helm/files/prometheus/alerts.yaml');
const alerts = (parseYaml(alertsText) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap(
  (g) => g.rules,
);
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** Series that Prometheus itself adds to every scrape target, not the service. */
const SCRAPE_SERIES = new Set(['up']);

/** Grafana's interval variables stand where PromQL wants a duration. */
const grafanaToPromql = (expr: string) =>
  expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

/** `label_values(selector, label)`, the form of Grafana's variable queries. */
function variableSelector(v: Variable): string {
  const m = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(v.definition ?? '');
  assert.ok(m?.[1] !== undefined, `variable ${v.name}: expected label_values(selector, label)`);
  return m[1];
}

/** Every PromQL expression of the dashboard and the alerts file, with where it is. */
const expressions: Array<{ where: string; expr: string }> = [
  ...panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  ),
  ...dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ where: `variable ${v.name}`, expr: variableSelector(v) })),
  ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
];

/** The metric names of `expr` that `exported` does not have. */
function unknownSeries(expr: string, exported: Set<string>): string[] {
  return promqlSelectors(grafanaToPromql(expr))
    .map((s) => s.name)
    .filter((name) => !exported.has(name) && !SCRAPE_SERIES.has(name));
}

describe('dashboard and alert queries against the service', () => {
  let exported = new Set<string>();
  before(async () => {
    const app = await buildTestApp();
    try {
      const res = await app.http.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 200);
      exported = exposedSeriesNames(res.body);
    } finally {
      await app.close();
    }
  });

  test('the service exports its own series (the check is not vacuous)', () => {
    for (const name of ['risk_decisions_total', 'risk_score_duration_seconds_bucket', 'up']) {
      assert.ok(exported.has(name) || SCRAPE_SERIES.has(name), name);
    }
    assert.ok(expressions.length > 40, `only ${expressions.length} expressions found`);
  });

  test('every expression parses and names only exported series', () => {
    const unknown = expressions.flatMap(({ where, expr }) =>
      unknownSeries(expr, exported).map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });

  test('a misspelt or missing series is caught', () => {
    assert.deepEqual(
      unknownSeries('sum(rate(risk_decision_total{job=~"$job"}[$__rate_interval]))', exported),
      ['risk_decision_total'],
    );
    assert.deepEqual(unknownSeries('risk_score_duration_seconds_total', exported), [
      'risk_score_duration_seconds_total',
    ]);
    assert.throws(() => unknownSeries('sum(rate(risk_decisions_total[5m])', exported), /syntax/);
  });

  test('every risk_ series the service exports is on the dashboard', () => {
    const shown = new Set(
      panels
        .flatMap((p) => (p.targets ?? []).flatMap((t) => promqlSelectors(grafanaToPromql(t.expr))))
        .map((s) => s.name.replace(/_(bucket|sum|count)$/, '')),
    );
    const missing = [...exported].filter(
      (name) => name.startsWith('risk_') && !/_(bucket|sum|count)$/.test(name) && !shown.has(name),
    );
    assert.deepEqual(missing, [], 'add a panel (helm/files/grafana/risk-scoring.json)');
  });
});

describe('Grafana dashboard', () => {
  test('has the datasource, namespace, job and pod variables, and every panel uses the first', () => {
    assert.deepEqual(
      dashboard.templating.list.map((v) => `${v.name}:${v.type}`),
      ['datasource:datasource', 'namespace:query', 'job:query', 'pod:query'],
    );
    for (const p of panels.filter((p) => p.type !== 'row')) {
      assert.equal(p.datasource?.uid, '${datasource}', p.title);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${datasource}', p.title);
    }
  });

  test('every selector of a panel is scoped by $namespace, $job and $pod', () => {
    const scoped = (s: PromqlSelector) =>
      ['namespace', 'job', 'pod'].every((label) =>
        s.matchers.some((m) => m.label === label && m.op === '=~' && m.value === `$${label}`),
      );
    const unscoped = panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) =>
        promqlSelectors(grafanaToPromql(t.expr))
          .filter((s) => !scoped(s))
          .map((s) => `${p.title}: ${s.name}`),
      ),
    );
    assert.deepEqual(unscoped, []);
  });

  test('panel ids are unique and panels fit the 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
  });
});

describe('alerts file', () => {
  const readme = read('README.md');

  test('each alert waits, has a severity, a summary, a description and a README runbook', () => {
    assert.ok(alerts.length >= 5);
    for (const a of alerts) {
      assert.match(a.for ?? '', /^[0-9]+[smh]$/, `${a.alert}: for`);
      assert.match(a.labels?.severity ?? '', /^(critical|warning)$/, `${a.alert}: severity`);
      assert.ok(a.annotations?.summary, `${a.alert}: summary`);
      assert.ok(a.annotations?.description, `${a.alert}: description`);
      const anchor = a.alert.toLowerCase();
      assert.equal(a.annotations?.runbook_url, `README.md#${anchor}`, `${a.alert}: runbook_url`);
      // GitHub's anchor of a heading that is the alert's name.
      assert.ok(
        new RegExp(`^#{2,6} ${a.alert}$`, 'm').test(readme),
        `README: no heading ${a.alert}`,
      );
    }
  });

  test("the file's thresholds are the chart's defaults, and each default has its place", () => {
    const values = parseYaml(read('helm/values.yaml')) as {
      prometheusRule: { thresholds: Record<string, number> };
    };
    const inFile: Record<string, number> = {};
    for (const m of alertsText.matchAll(
      /([0-9][0-9.eE+-]*) # prometheusRule\.thresholds\.(\w+)$/gm,
    )) {
      inFile[m[2] ?? ''] = Number(m[1]);
    }
    assert.deepEqual(inFile, values.prometheusRule.thresholds);
  });
});

describe('promqlSelectors', () => {
  const cases: Array<[string, string[]]> = [
    ['risk_decisions_total', ['risk_decisions_total']],
    ['sum by (le) (rate(a_bucket{job="x", le!=""}[5m] offset 1m))', ['a_bucket']],
    ['histogram_quantile(0.99, b) / on (job) group_left () c', ['b', 'c']],
    ['count_values("rate", d) or vector(0) > bool 1', ['d']],
    ['{__name__="e", job="x"}', ['e']],
    ['label_replace(f, "dst", "$1", "src", "(.*)") # a comment naming g', ['f']],
  ];
  for (const [expr, names] of cases) {
    test(expr, () =>
      assert.deepEqual(
        promqlSelectors(expr).map((s) => s.name),
        names,
      ),
    );
  }
  test('refuses what it cannot check', () => {
    assert.throws(() => promqlSelectors('{__name__=~"risk_.*"}'), /__name__ =~/);
    assert.throws(() => promqlSelectors('sum(rate(x[5m])'), /syntax error/);
  });
});
