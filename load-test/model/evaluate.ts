/**
 * `npm run evaluate -- <what> [options]`: detection quality (DESIGN.md §6).
 *
 *   anomaly --data FILE [--seed N] [--json] [--baseline] [--baseline-rows N]
 *       Trains the isolation forest on a labelled numeric CSV (f0..fN, label; the label column is
 *       left out of training) in the paper's setting (100 trees, ψ = 256, trained and scored on
 *       the whole set) and prints the ROC AUC; --json prints {auc, rows, seconds, …}, where
 *       seconds is training plus scoring. --baseline runs ml-isolation-forest instead.
 *   anomaly-report [--seeds 1,2,3,4,5] [--sets http,forestcover,…] [--data-dir DIR]
 *                  [--baseline-rows N] [--out DIR]
 *       Runs the forest on each set with each seed, ml-isolation-forest beside it, and writes
 *       <out>/<timestamp>-anomaly.md and .json next to Liu et al.'s Table 3.
 *   pipeline [--seed N] [--customers N] [--hours N] [--paysim FILE | --no-paysim] [--json]
 *            [--out DIR]
 *       Replays the simulator's labelled stream (seed 4242 by default: never used for tuning)
 *       and the PaySim sample through the service pipeline and reports precision, recall,
 *       false-positive rate and review rate, per scenario, with a precision–recall plot:
 *       <out>/<timestamp>-pipeline.md, .json and -pr.png.
 *   fraud [--data-dir DIR] [--seed N] [--out DIR]
 *       PaySim and ULB (../shared/data/fraud/), each split by time into halves: rules written
 *       and models trained on the train half (ours: isolation forest, LightGBM GBDT scored by our
 *       TS evaluator; scikit-learn IsolationForest, LogisticRegression, HistGradientBoosting),
 *       precision, recall, ROC AUC and PR AUC on the test half: <out>/<timestamp>-fraud.md, .json,
 *       -roc.png and -pr.png. Creates a Python venv on first use (scripts/ml-venv.sh, ~2 min).
 *
 * Progress goes to stderr, results to stdout.
 */
import { basename } from 'node:path';
import { UsageError, parseCommandLine, runCommand } from '../cli.ts';
import { runBaseline, runForest } from './anomaly-eval.ts';
import { runAnomalyReport } from './anomaly-report.ts';
import { readLabelledCsv } from './numeric-csv.ts';
import { existsSync } from 'node:fs';
import { readPaysim } from '../evaluate/paysim.ts';
import type { StreamResult } from '../evaluate/pipeline.ts';
import {
  evaluateStream,
  pipelineReportMarkdown,
  writePipelineReport,
} from '../evaluate/pipeline.ts';
import { prPlotSvg, svgToPng } from '../evaluate/pr-plot.ts';
import { SCENARIOS, simulate } from '../simulator/simulator.ts';
import { fraudCommand } from '../evaluate/fraud/command.ts';

const log = (m: string): void => {
  process.stderr.write(`[evaluate ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

const USAGE = `usage: npm run evaluate -- <what> [options]   detection quality (DESIGN.md §6)

  anomaly --data FILE [--seed N] [--json] [--baseline] [--baseline-rows N]
      Trains the isolation forest on a labelled numeric CSV (f0..fN, label; the label column is
      left out of training) in the paper's setting (100 trees, ψ = 256, trained and scored on
      the whole set) and prints the ROC AUC; --json prints {auc, rows, seconds, …}, where
      seconds is training plus scoring. --baseline runs ml-isolation-forest instead.
  anomaly-report [--seeds 1,2,3,4,5] [--sets http,forestcover,…] [--data-dir DIR]
                 [--baseline-rows N] [--out DIR]
      Runs the forest on each set with each seed, ml-isolation-forest beside it, and writes
      <out>/<timestamp>-anomaly.md and .json next to Liu et al.'s Table 3.
  pipeline [--seed N] [--customers N] [--hours N] [--paysim FILE | --no-paysim] [--json]
           [--out DIR]
      Replays the simulator's labelled stream (seed 4242 by default: never used for tuning)
      and the PaySim sample through the service pipeline and reports precision, recall,
      false-positive rate and review rate, per scenario, with a precision–recall plot:
      <out>/<timestamp>-pipeline.md, .json and -pr.png.
  fraud [--data-dir DIR] [--seed N] [--out DIR]
      PaySim and ULB (../shared/data/fraud/), each split by time into halves: rules written
      and models trained on the train half (ours: isolation forest, LightGBM GBDT scored by our
      TS evaluator; scikit-learn IsolationForest, LogisticRegression, HistGradientBoosting),
      precision, recall, ROC AUC and PR AUC on the test half: <out>/<timestamp>-fraud.md, .json,
      -roc.png and -pr.png. Creates a Python venv on first use (scripts/ml-venv.sh, ~2 min).

Progress goes to stderr, results to stdout.`;

function usage(message: string): never {
  throw new UsageError(message);
}

function integer(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} must be a non-negative integer`);
  return n;
}

async function anomaly(args: string[]): Promise<void> {
  const values = parseCommandLine(
    USAGE,
    {
      data: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: false },
      'baseline-rows': { type: 'string' },
    },
    args,
  );
  if (values.data === undefined) usage('anomaly: --data FILE is required');
  const seed = integer(values.seed, 'seed', 1);
  log(`reading ${values.data}`);
  const d = await readLabelledCsv(values.data);
  const anomalies = d.labels.reduce((a, b) => a + b, 0);
  log(`${d.data.rows} rows, ${d.data.cols} features, ${anomalies} anomalies`);
  const name = basename(values.data);
  if (values.baseline) {
    const maxTrainRows = integer(values['baseline-rows'], 'baseline-rows', 20_000);
    log(`training ml-isolation-forest on ${Math.min(maxTrainRows, d.data.rows)} rows`);
    const r = runBaseline(d, { seed, maxTrainRows, log });
    if (values.json) {
      const out = { data: name, model: 'ml-isolation-forest@0.1.0', seed, ...snake(r) };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(
        `${name}: ml-isolation-forest ROC AUC ${r.auc.toFixed(4)} (${r.rows} rows, trained on ` +
          `${r.trainRows}); trained in ${r.trainSeconds.toFixed(2)} s, ${r.usPerScore.toFixed(1)} µs per score\n`,
      );
    }
    return;
  }
  log(`training 100 trees on ψ = 256 and scoring every row, seed ${seed}`);
  const r = runForest(d, { seed });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ data: name, seed, ...snake(r) })}\n`);
  } else {
    process.stdout.write(
      `${name}: ROC AUC ${r.auc.toFixed(4)} (${r.rows} rows, ${d.data.cols} features, seed ${seed}); ` +
        `trained in ${(r.trainSeconds * 1000).toFixed(1)} ms, ${r.usPerScore.toFixed(2)} µs per score\n`,
    );
  }
}

/** camelCase keys to the snake_case of the JSON output. */
function snake(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
}

async function report(args: string[]): Promise<void> {
  const values = parseCommandLine(
    USAGE,
    {
      seeds: { type: 'string', default: '1,2,3,4,5' },
      sets: { type: 'string' },
      'data-dir': { type: 'string' },
      'baseline-rows': { type: 'string' },
      out: { type: 'string', default: 'load-test/reports' },
    },
    args,
  );
  const seeds = values.seeds.split(',').map((s) => integer(s, 'seeds', 0));
  const path = await runAnomalyReport({
    seeds,
    sets: values.sets?.split(','),
    dataDir: values['data-dir'],
    baselineRows: integer(values['baseline-rows'], 'baseline-rows', 300_000),
    outDir: values.out,
    log,
  });
  log(`report written to ${path}`);
  process.stdout.write(`${path}\n`);
}

const DEFAULT_PAYSIM = '../shared/data/fraud/paysim_sample.csv.gz';
/** The simulator seed held back for this evaluation: tuning used seeds 1–3. */
const HELD_BACK_SEED = 4242;

async function pipeline(args: string[]): Promise<void> {
  const values = parseCommandLine(
    USAGE,
    {
      seed: { type: 'string' },
      customers: { type: 'string' },
      hours: { type: 'string' },
      paysim: { type: 'string' },
      'no-paysim': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'load-test/reports' },
    },
    args,
  );
  const seed = integer(values.seed, 'seed', HELD_BACK_SEED);
  const customers = integer(values.customers, 'customers', 20_000);
  const hours = integer(values.hours, 'hours', 72);
  if (hours <= 24) usage('--hours must exceed the 24 h warm-up');
  const paysimPath = values['no-paysim'] ? undefined : (values.paysim ?? DEFAULT_PAYSIM);
  if (paysimPath !== undefined && !existsSync(paysimPath))
    usage(`no PaySim file at ${paysimPath} (give --paysim FILE or --no-paysim)`);

  log(`simulating seed ${seed}: ${customers} customers, ${hours} h`);
  const stream = simulate({ seed, customers, hours });
  const fraud = stream.filter((s) => s.label.fraud).length;
  log(`${stream.length} transactions, ${fraud} fraudulent; replaying through the pipeline`);
  const start = Date.parse(stream[0]?.transaction.timestamp ?? '');
  const results: StreamResult[] = [
    await evaluateStream({
      name: `simulator seed ${seed}`,
      description:
        `The simulator (load-test/simulator), seed ${seed}, ${customers.toLocaleString('en-US')} customers, ` +
        `${hours} h with its six fraud scenarios (${SCENARIOS.join(', ')}); the first 24 h only warm the windows.`,
      items: stream,
      warmupUntilMs: start + 24 * 3_600_000,
      log,
    }),
  ];
  if (paysimPath !== undefined) {
    log(`reading ${paysimPath}`);
    const paysim = await readPaysim(paysimPath);
    log(`${paysim.length} PaySim transactions; replaying through the pipeline`);
    results.push(
      await evaluateStream({
        name: 'PaySim sample',
        description:
          `${basename(paysimPath)} (Lopez-Rojas et al.; a biased sample, 8.2% fraud): payer → account, ` +
          "payee → merchant, type → channel, balances → attributes; a fraud's scenario is its type. " +
          'Every payer appears once, so the velocity features see no history.',
        items: paysim,
        log,
      }),
    );
  }
  const created = new Date().toISOString();
  const stem = `${created.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z')}-pipeline`;
  const svg = await prPlotSvg(
    'Precision–recall of the pipeline',
    results.flatMap((r) => [
      { name: `${r.name}: risk_score`, points: r.curves.risk_score },
      ...(r.curves.anomaly_score.length > 0
        ? [{ name: `${r.name}: anomaly_score alone`, points: r.curves.anomaly_score }]
        : []),
    ]),
    results.map((r) => ({
      name: `${r.name}: decisions`,
      precision: r.overall.precision ?? 0,
      recall: r.overall.recall ?? 0,
    })),
  );
  const summary = results.map(({ curves: _curves, ...rest }) => rest);
  const path = writePipelineReport(values.out, stem, {
    png: svgToPng(svg),
    json: { created, seed, customers, hours, streams: summary },
    markdown: (plot) =>
      pipelineReportMarkdown({
        created,
        command: `npm run evaluate -- pipeline ${args.join(' ')}`.trim(),
        streams: results,
        plot,
        notes: [
          `Tuning: the default ruleset's thresholds and the model (trained on seed 1) were set on`,
          `simulator seeds 1–3; seed ${HELD_BACK_SEED} is held back for this report. PaySim was not used for tuning.`,
        ],
      }),
  });
  log(`report written to ${path}`);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    for (const r of results) {
      const o = r.overall;
      const p = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);
      process.stdout.write(
        `${r.name}: precision ${p(o.precision)}, recall ${p(o.recall)}, false-positive rate ${p(o.false_positive_rate)}, review rate ${p(o.review_rate)}\n`,
      );
      for (const c of r.scenarios)
        process.stdout.write(
          `  ${c.scenario}: recall ${p(c.recall)} (${c.transactions} transactions)\n`,
        );
    }
    process.stdout.write(`${path}\n`);
  }
}

const [command, ...rest] = process.argv.slice(2);
await runCommand(USAGE, async () => {
  if (command === 'anomaly') await anomaly(rest);
  else if (command === 'anomaly-report') await report(rest);
  else if (command === 'pipeline') await pipeline(rest);
  else if (command === 'fraud') await fraudCommand(USAGE, rest, log);
  else if (command === '--help' || command === '-h') process.stdout.write(`${USAGE}\n`);
  else usage(`unknown evaluation ${JSON.stringify(command ?? '')}`);
});
