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
 *
 * Progress goes to stderr, results to stdout.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { runBaseline, runForest } from './anomaly-eval.js';
import { runAnomalyReport } from './anomaly-report.js';
import { readLabelledCsv } from './numeric-csv.js';

const log = (m: string): void => {
  process.stderr.write(`[evaluate ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run evaluate -- anomaly --data FILE [--seed N] [--json] [--baseline] [--baseline-rows N]\n` +
      '       npm run evaluate -- anomaly-report [--seeds 1,2,3,4,5] [--sets a,b] [--data-dir DIR] [--baseline-rows N] [--out DIR]\n',
  );
  process.exit(2);
}

function integer(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} must be a non-negative integer`);
  return n;
}

async function anomaly(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: false },
      'baseline-rows': { type: 'string' },
    },
  });
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
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: 'string', default: '1,2,3,4,5' },
      sets: { type: 'string' },
      'data-dir': { type: 'string' },
      'baseline-rows': { type: 'string' },
      out: { type: 'string', default: 'load-test/reports' },
    },
  });
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

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'anomaly') await anomaly(rest);
  else if (command === 'anomaly-report') await report(rest);
  else usage(`unknown evaluation ${JSON.stringify(command ?? '')}`);
} catch (err) {
  process.stderr.write(`evaluate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
