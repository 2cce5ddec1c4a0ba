import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fraudModelFromJson } from '../../../src/adapters/file/file-fraud-model-source.ts';
import type { Matrix } from '../../../src/domain/anomaly/matrix.ts';
import { seededRandom } from '../../../src/domain/anomaly/random.ts';
import { scoreRows, trainForest } from '../../../src/domain/anomaly/train.ts';
import type { VelocityFeatures } from '../../../src/domain/features.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';
import { eventTimeMs } from '../../../src/domain/transaction.ts';
import { loadColumnMapping, readMappedTransactions } from '../../model/column-mapping.ts';
import { loadFeatureConfig } from '../../model/feature-config.ts';
import { toFeatureRows } from '../../model/training-data.ts';
import { replayThroughService } from './replay.ts';
import type { MethodFigures } from './score-metrics.ts';
import { bestF1Threshold, figures } from './score-metrics.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/** A labelled file, how to read it, the features its models use, the rules written for it. */
export interface FraudDataset {
  name: string;
  file: string;
  mapping: string;
  features: string;
  rules: string;
  /** The unit the split is rounded up to (PaySim's step is the hour, ULB's Time the second). */
  splitUnitMs: number;
}

export const DATASETS: readonly FraudDataset[] = [
  {
    name: 'paysim',
    file: 'paysim_sample.csv.gz',
    mapping: 'load-test/model/mappings/paysim.json',
    features: 'models/features/paysim.json',
    rules: 'load-test/evaluate/rules/paysim',
    splitUnitMs: 1,
  },
  {
    name: 'ulb',
    file: 'ulb_creditcard_sample.csv.gz',
    mapping: 'load-test/model/mappings/ulb.json',
    features: 'models/features/ulb.json',
    rules: 'load-test/evaluate/rules/ulb',
    splitUnitMs: 1000,
  },
];

export interface MethodResult extends MethodFigures {
  name: string;
  kind: 'service' | 'ours' | 'scikit-learn';
  /** The same figures on the train half (for rules: how they looked when written). */
  train?: Pick<MethodFigures, 'precision' | 'recall' | 'roc_auc'>;
}

export interface DatasetResult {
  name: string;
  file: string;
  rows: number;
  frauds: number;
  split_at: string;
  train: { rows: number; frauds: number; from: string; to: string };
  test: { rows: number; frauds: number; from: string; to: string };
  features: string[];
  features_description: string;
  methods: MethodResult[];
  /** Largest |our TS evaluator − LightGBM's predict| over the test rows. */
  gbdt_parity_max_diff: number;
  seconds: number;
  /** Test labels and each method's test scores, for the plots (left out of the JSON report). */
  curves: { labels: number[]; scores: Record<string, number[]> };
}

const csvCell = (v: number): string => (Number.isNaN(v) ? 'nan' : String(v));

function writeMatrixCsv(path: string, names: readonly string[], m: Matrix, labels: Uint8Array) {
  const lines = [[...names, 'label'].join(',')];
  for (let r = 0; r < m.rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < m.cols; c++) row.push(csvCell(m.values[r * m.cols + c]!));
    row.push(String(labels[r]));
    lines.push(row.join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function sliceRows(m: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: m.cols, values: m.values.subarray(from * m.cols, to * m.cols) };
}

/** The python of the evaluation's virtualenv (created on first use by scripts/ml-venv.sh). */
export function mlPython(log: (m: string) => void): string {
  log('Python environment (scripts/ml-venv.sh)');
  return execFileSync('bash', [join(ROOT, 'scripts/ml-venv.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export function runPython(python: string, args: string[]): void {
  execFileSync(python, [join(ROOT, 'load-test/model/python/fraud_eval.py'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

/**
 * One data set, split by time into halves (the split rounded up to the set's time unit, so a
 * PaySim step or a ULB second is never cut): every model trained and every threshold chosen on
 * the train half, every figure measured on the test half.
 */
export async function evaluateDataset(
  ds: FraudDataset,
  opts: {
    dataDir: string;
    python: string;
    workDir: string;
    seed: number;
    log: (m: string) => void;
  },
): Promise<DatasetResult> {
  const { log } = opts;
  const t0 = performance.now();
  const path = join(opts.dataDir, ds.file);
  log(`${ds.name}: reading ${path}`);
  const items = await readMappedTransactions(path, loadColumnMapping(join(ROOT, ds.mapping)));
  const featureConfig = loadFeatureConfig(join(ROOT, ds.features));
  const names = featureConfig.features;
  const txs = items.map((x) => x.tx);
  const labels = Uint8Array.from(items, (x) => x.label ?? 0);
  if (items.some((x) => x.label === undefined)) throw new Error(`${path}: rows without a label`);
  const times = txs.map(eventTimeMs);
  const median = times[Math.floor(times.length / 2)]!;
  const splitMs = Math.ceil(median / ds.splitUnitMs) * ds.splitUnitMs;
  let cut = times.findIndex((t) => t >= splitMs);
  if (cut < 0) cut = times.length;
  const trainLabels = labels.subarray(0, cut);
  const testLabels = labels.subarray(cut);
  const count = (l: Uint8Array): number => l.reduce((a, b) => a + b, 0);
  log(
    `${ds.name}: ${txs.length} rows; train ${cut} (${count(trainLabels)} fraud), ` +
      `test ${txs.length - cut} (${count(testLabels)} fraud)`,
  );

  // Feature rows of the whole stream in time order (the velocity windows run across the split,
  // as they would in production); NaN for a missing value (GBDT), 0 (forest).
  const kept: Array<{ tx: Transaction; features: VelocityFeatures }> = [];
  const nanRows = await toFeatureRows(items, {
    features: names,
    missing: Number.NaN,
    onRow: (tx, features) => kept.push({ tx, features }),
  });
  const zeroRows = await toFeatureRows(items, { features: names, missing: 0 });

  const dir = join(opts.workDir, ds.name);
  mkdirSync(dir, { recursive: true });
  writeMatrixCsv(join(dir, 'train.csv'), names, sliceRows(nanRows.data, 0, cut), trainLabels);
  writeMatrixCsv(
    join(dir, 'test.csv'),
    names,
    sliceRows(nanRows.data, cut, txs.length),
    testLabels,
  );
  log(`${ds.name}: LightGBM and the scikit-learn baselines on the train half (Python)`);
  const model = `${ds.name}-gbdt`;
  runPython(opts.python, [
    'train',
    '--train',
    join(dir, 'train.csv'),
    '--test',
    join(dir, 'test.csv'),
    '--name',
    model,
    '--source',
    `${ds.file}, ${ds.features}`,
    '--out-dir',
    dir,
    '--seed',
    String(opts.seed),
  ]);
  const artifactPath = join(dir, `${model}.json`);
  const py = JSON.parse(readFileSync(join(dir, `${model}-scores.json`), 'utf8')) as {
    baselines: Record<string, { train: number[]; test: number[] }>;
    lightgbm_test: number[];
  };

  const methods: MethodResult[] = [];
  const scores: Record<string, number[]> = {};
  const addScored = (
    name: string,
    kind: MethodResult['kind'],
    train: ArrayLike<number>,
    test: ArrayLike<number>,
  ): void => {
    const threshold = bestF1Threshold(train, trainLabels);
    const flaggedTest = Array.from(test, (s) => s >= threshold);
    const flaggedTrain = Array.from(train, (s) => s >= threshold);
    const t = figures(train, flaggedTrain, trainLabels, threshold);
    methods.push({
      name,
      kind,
      ...figures(test, flaggedTest, testLabels, threshold),
      train: { precision: t.precision, recall: t.recall, roc_auc: t.roc_auc },
    });
    scores[name] = Array.from(test);
  };

  // The service, as shipped and as a team would run it on this data.
  const services: Array<{ name: string; env: Record<string, string> }> = [
    { name: 'service: shipped rules + model', env: {} },
    {
      name: 'service: train-half rules',
      env: { RULES_DIR: join(ROOT, ds.rules), MODEL_PATH: 'none' },
    },
  ];
  const withModelRules = join(dir, 'rules-with-model');
  mkdirSync(withModelRules, { recursive: true });
  for (const f of readdirSync(join(ROOT, ds.rules)).filter((n) => n.endsWith('.json')))
    copyFileSync(join(ROOT, ds.rules, f), join(withModelRules, f));
  writeFileSync(
    join(withModelRules, 'zz-fraud-model.json'),
    JSON.stringify([
      {
        name: 'fraud-probability-high',
        conditions: {
          all: [{ fact: 'fraud_probability', operator: 'greaterThanInclusive', value: 0.5 }],
        },
        event: { type: 'risk', params: { score: 90, action: 'decline' } },
      },
    ]),
  );
  services.push({
    name: 'service: train-half rules + fraud_probability ≥ 0.5',
    env: { RULES_DIR: withModelRules, MODEL_PATH: 'none', FRAUD_MODEL_PATH: artifactPath },
  });
  for (const s of services) {
    log(`${ds.name}: replaying through the service (${s.name.slice(9)})`);
    const answers = await replayThroughService({
      transactions: txs,
      keep: () => true,
      env: s.env,
      label: s.name,
      log,
    });
    const risk = answers.map((a) => a.risk_score);
    const flagged = answers.map((a) => a.decision !== 'approve');
    const test = risk.slice(cut);
    const t = figures(risk.slice(0, cut), flagged.slice(0, cut), trainLabels, null);
    methods.push({
      name: s.name,
      kind: 'service',
      ...figures(test, flagged.slice(cut), testLabels, null),
      train: { precision: t.precision, recall: t.recall, roc_auc: t.roc_auc },
    });
    scores[s.name] = test;
  }

  log(`${ds.name}: our isolation forest on the train half`);
  const forest = trainForest(sliceRows(zeroRows.data, 0, cut), {
    random: seededRandom(opts.seed),
  });
  addScored(
    'ours: isolation forest',
    'ours',
    scoreRows(forest, sliceRows(zeroRows.data, 0, cut)),
    scoreRows(forest, sliceRows(zeroRows.data, cut, txs.length)),
  );

  log(`${ds.name}: our GBDT evaluator on the exported LightGBM model`);
  const gbdt = fraudModelFromJson(readFileSync(artifactPath, 'utf8'), artifactPath);
  const ours = kept.map((k) => gbdt.score(k.tx, k.features));
  let maxDiff = 0;
  ours
    .slice(cut)
    .forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p - py.lightgbm_test[i]!))));
  addScored(
    'ours: GBDT (LightGBM trees, TS evaluator)',
    'ours',
    ours.slice(0, cut),
    ours.slice(cut),
  );
  for (const [name, s] of Object.entries(py.baselines))
    addScored(name, 'scikit-learn', s.train, s.test);

  const iso = (i: number): string => txs[i]!.timestamp;
  return {
    name: ds.name,
    file: ds.file,
    rows: txs.length,
    frauds: count(labels),
    split_at: new Date(splitMs).toISOString(),
    train: { rows: cut, frauds: count(trainLabels), from: iso(0), to: iso(cut - 1) },
    test: {
      rows: txs.length - cut,
      frauds: count(testLabels),
      from: iso(cut),
      to: iso(txs.length - 1),
    },
    features: [...names],
    features_description: featureConfig.description ?? '',
    methods,
    gbdt_parity_max_diff: maxDiff,
    seconds: (performance.now() - t0) / 1000,
    curves: { labels: Array.from(testLabels), scores },
  };
}

/** Every data set, then the plots (Python) and the report files; returns the report's stem. */
export async function runFraudEvaluation(opts: {
  dataDir: string;
  out: string;
  seed: number;
  log: (m: string) => void;
  write: (results: DatasetResult[], stem: string) => void;
}): Promise<string> {
  const python = mlPython(opts.log);
  const workDir = mkdtempSync(join(tmpdir(), 'risk-fraud-eval-'));
  try {
    const results: DatasetResult[] = [];
    for (const ds of DATASETS) {
      results.push(
        await evaluateDataset(ds, {
          dataDir: opts.dataDir,
          python,
          workDir,
          seed: opts.seed,
          log: opts.log,
        }),
      );
    }
    mkdirSync(opts.out, { recursive: true });
    const stem = join(opts.out, `${new Date().toISOString().replace(/:|\.\d+/g, '')}-fraud`);
    const plotInput = join(workDir, 'curves.json');
    writeFileSync(
      plotInput,
      JSON.stringify({
        datasets: results.map((r) => ({
          name: r.name,
          labels: r.curves.labels,
          methods: r.methods.map((m) => ({
            name: m.name,
            scores: r.curves.scores[m.name],
            roc_auc: m.roc_auc,
            pr_auc: m.pr_auc,
          })),
        })),
      }),
    );
    opts.log('plots (Python, matplotlib)');
    runPython(python, ['plot', '--scores', plotInput, '--out', stem]);
    opts.write(results, stem);
    return stem;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
