import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../src/app/build-app.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { loadConfig } from '../../src/app/config.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import type { Outcome, PrPoint, Rates, ScenarioRates } from './metrics.ts';
import { averagePrecision, byScenario, prCurve, rates } from './metrics.ts';

/** A transaction to replay and what it truly is. */
export interface EvalItem {
  transaction: Transaction;
  label: { fraud: boolean; scenario: string | null; campaign: string | null };
}

export interface StreamResult {
  name: string;
  description: string;
  ruleset_version: string;
  model_version: string | null;
  /** Transactions scored only to fill the velocity windows, left out of the figures. */
  warmup: number;
  overall: Rates;
  scenarios: ScenarioRates[];
  average_precision: { risk_score: number; anomaly_score: number | null };
  curves: { risk_score: PrPoint[]; anomaly_score: PrPoint[] };
  seconds: number;
}

/**
 * Replays a labelled stream, in order, through the service's own pipeline (the app that main.ts
 * serves, built from `env`: velocity store, rules, model, decision) and measures the decisions
 * against the labels. The first `warmupUntilMs` of event time only fills the windows.
 */
export async function evaluateStream(opts: {
  name: string;
  description: string;
  items: readonly EvalItem[];
  warmupUntilMs?: number;
  env?: Record<string, string>;
  log: (m: string) => void;
}): Promise<StreamResult> {
  const app: App = await buildApp(
    loadConfig({
      LOG_LEVEL: 'warn',
      EMBEDDED_STORE: 'memory',
      BACKTEST_RECENT_TRANSACTIONS: '0',
      ...opts.env,
    }),
  );
  const started = performance.now();
  const outcomes: Outcome[] = [];
  let warmup = 0;
  let ruleset = '';
  let model: string | null = null;
  let lastLog = started;
  try {
    for (const [i, item] of opts.items.entries()) {
      const { response } = await app.score(item.transaction);
      ruleset = response.ruleset_version;
      model = response.model_version;
      if (
        opts.warmupUntilMs !== undefined &&
        Date.parse(item.transaction.timestamp) < opts.warmupUntilMs
      ) {
        warmup++;
        continue;
      }
      outcomes.push({
        fraud: item.label.fraud,
        scenario: item.label.scenario,
        campaign: item.label.campaign,
        decision: response.decision,
        risk_score: response.risk_score,
        anomaly_score: response.anomaly_score,
      });
      if (performance.now() - lastLog > 2_000) {
        lastLog = performance.now();
        opts.log(`  ${opts.name}: ${i + 1} of ${opts.items.length} scored`);
      }
    }
  } finally {
    await app.close();
  }
  const riskCurve = prCurve(outcomes, (o) => o.risk_score);
  const anomalyCurve = prCurve(outcomes, (o) => o.anomaly_score);
  return {
    name: opts.name,
    description: opts.description,
    ruleset_version: ruleset,
    model_version: model,
    warmup,
    overall: rates(outcomes),
    scenarios: byScenario(outcomes),
    average_precision: {
      risk_score: averagePrecision(riskCurve),
      anomaly_score: anomalyCurve.length > 0 ? averagePrecision(anomalyCurve) : null,
    },
    curves: { risk_score: riskCurve, anomaly_score: anomalyCurve },
    seconds: (performance.now() - started) / 1000,
  };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

/** The markdown of a pipeline evaluation report. */
export function pipelineReportMarkdown(r: {
  created: string;
  command: string;
  streams: StreamResult[];
  plot: string;
  notes: string[];
}): string {
  const lines = [
    `# Pipeline evaluation, ${r.created}`,
    '',
    `Produced by \`${r.command}\`. Every figure is from this run: each stream was replayed in`,
    'event-time order through the service pipeline (velocity features, the default ruleset, the',
    'anomaly model, the decision policy) and its decisions compared with the labels. "Flagged" means',
    'review or decline.',
    '',
    ...r.notes,
    '',
    '## Overall',
    '',
    '| stream | transactions | fraud | precision | recall | false-positive rate | review rate | decline rate | AP (risk_score) | AP (anomaly_score) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.streams.map(
      (s) =>
        `| ${s.name} | ${s.overall.transactions.toLocaleString('en-US')} | ${s.overall.fraud} | ${pct(s.overall.precision)} | ${pct(s.overall.recall)} | ${pct(s.overall.false_positive_rate)} | ${pct(s.overall.review_rate)} | ${pct(s.overall.decline_rate)} | ${s.average_precision.risk_score.toFixed(3)} | ${s.average_precision.anomaly_score?.toFixed(3) ?? '—'} |`,
    ),
    '',
    `![precision–recall](${r.plot})`,
    '',
    'Curves: flag when the score is at or above a threshold, for every threshold. Diamonds: the',
    "service's actual decisions (which also use the rules' forced actions).",
  ];
  for (const s of r.streams) {
    lines.push(
      '',
      `## ${s.name}`,
      '',
      `${s.description} Ruleset version ${s.ruleset_version}, model ${s.model_version ?? 'none'}; ` +
        `${s.warmup.toLocaleString('en-US')} warm-up transactions not counted; scored in ${s.seconds.toFixed(1)} s.`,
      '',
      '| scenario | transactions | recall | declined | campaigns | campaigns caught |',
      '|---|---|---|---|---|---|',
      ...s.scenarios.map(
        (c) =>
          `| ${c.scenario} | ${c.transactions} | ${pct(c.recall)} | ${pct(c.declined)} | ${c.campaigns || '—'} | ${pct(c.campaigns_caught)} |`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}

/** Writes `<stem>.md`, `.json` and the plot `<stem>-pr.png` into `dir`; returns the md path. */
export function writePipelineReport(
  dir: string,
  stem: string,
  parts: { markdown: (plotFile: string) => string; json: unknown; png: Buffer },
): string {
  mkdirSync(dir, { recursive: true });
  const plot = `${stem}-pr.png`;
  writeFileSync(join(dir, plot), parts.png);
  writeFileSync(join(dir, `${stem}.json`), JSON.stringify(parts.json, null, 2) + '\n');
  const md = join(dir, `${stem}.md`);
  writeFileSync(md, parts.markdown(plot));
  return md;
}
