/**
 * `npm run train -- [options]`: trains the transaction anomaly model and writes
 * `<out>/<name>-<version>.json` (the artifact the service loads) and `<name>-<version>.md` (its
 * training report).
 *
 *   --data FILE           transactions as NDJSON or CSV (optionally .gz), with an optional label
 *   --simulate N          or N transactions of the seeded simulated stream (load-test/labelled-stream.ts)
 *   --fraud-rate P        share of simulated arrivals that start a fraud episode (default 0)
 *   --warmup N            leading transactions that only fill the velocity windows
 *                         (default: a day of simulated traffic, 0 for a file)
 *   --seed N              seeds the forest and the simulation (default 1)
 *   --name NAME           default tx-iforest
 *   --version V           default: a digest of the trained model
 *   --trees T --subsample PSI       default 100 and 256
 *   --threshold-quantile Q          default 0.99
 *   --out DIR             default models
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createLabelledStream } from '../../load-test/labelled-stream.js';
import type { LabelledTransaction } from '../../load-test/labelled-stream.js';
import type { ModelMeta } from '../domain/anomaly/artifact.js';
import { ARTIFACT_FORMAT, forestParams, toArtifact } from '../domain/anomaly/artifact.js';
import { MODEL_FEATURES } from '../domain/anomaly/model-features.js';
import { seededRandom } from '../domain/anomaly/random.js';
import { rocAuc } from '../domain/anomaly/roc-auc.js';
import { quantileOfSorted, summarise } from '../domain/anomaly/summary.js';
import { scoreRows, trainForest } from '../domain/anomaly/train.js';
import type { LabelledInput } from './training-data.js';
import { toFeatureRows } from './training-data.js';
import type { TrainingReport } from './training-report.js';
import { holdoutEvaluation, timeScoring, trainingReportMarkdown } from './training-report.js';
import { readTransactions } from './transactions-file.js';

const log = (m: string): void => {
  process.stderr.write(`[train ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    simulate: { type: 'string' },
    'fraud-rate': { type: 'string', default: '0' },
    warmup: { type: 'string' },
    seed: { type: 'string', default: '1' },
    name: { type: 'string', default: 'tx-iforest' },
    version: { type: 'string' },
    trees: { type: 'string', default: '100' },
    subsample: { type: 'string', default: '256' },
    'threshold-quantile': { type: 'string', default: '0.99' },
    out: { type: 'string', default: 'models' },
  },
});

function num(name: keyof typeof values, v: string | undefined, integer = true): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n))) {
    process.stderr.write(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}\n`);
    process.exit(2);
  }
  return n;
}

const seed = num('seed', values.seed);
const trees = num('trees', values.trees);
const subsample = num('subsample', values.subsample);
const q = num('threshold-quantile', values['threshold-quantile'], false);
const fraudRate = num('fraud-rate', values['fraud-rate'], false);
if ((values.data === undefined) === (values.simulate === undefined)) {
  process.stderr.write('give exactly one of --data FILE or --simulate N\n');
  process.exit(2);
}
const ACCOUNTS = 2_000;
const PER_DAY = 6;

function* simulated(n: number, streamSeed: number, rate: number): Generator<LabelledTransaction> {
  const next = createLabelledStream({
    seed: streamSeed,
    accounts: ACCOUNTS,
    perAccountPerDay: PER_DAY,
    fraudRate: rate,
  });
  for (let i = 0; i < n; i++) yield next();
}

let input: Iterable<LabelledInput>;
let source: string;
let warmup: number;
if (values.simulate !== undefined) {
  const n = num('simulate', values.simulate);
  warmup = values.warmup === undefined ? ACCOUNTS * PER_DAY : num('warmup', values.warmup);
  source =
    `simulated stream (load-test/labelled-stream.ts), seed ${seed}, ${ACCOUNTS} accounts, ` +
    `${PER_DAY} transactions per account per day, fraud rate ${fraudRate}, ` +
    `first ${warmup} transactions as warm-up`;
  input = simulated(warmup + n, seed, fraudRate);
} else {
  const file = values.data!;
  log(`reading ${file}`);
  input = await readTransactions(file);
  warmup = values.warmup === undefined ? 0 : num('warmup', values.warmup);
  source = `${file}${warmup > 0 ? `, first ${warmup} transactions as warm-up` : ''}`;
}

log('enriching transactions with velocity features');
const rows = await toFeatureRows(input, {
  skip: warmup,
  onProgress: (done) => log(`  ${done} transactions`),
});
log(`${rows.data.rows} training rows of ${MODEL_FEATURES.length} features`);

const t0 = performance.now();
const forest = trainForest(rows.data, {
  trees,
  subsampleSize: subsample,
  random: seededRandom(seed),
});
const trainSeconds = (performance.now() - t0) / 1000;
log(
  `trained ${trees} trees on ψ = ${forest.subsampleSize} in ${(trainSeconds * 1000).toFixed(1)} ms`,
);

const scores = scoreRows(forest, rows.data);
const sorted = Float64Array.from(scores).sort();
const quantiles = [0.5, 0.9, 0.99, 0.999].map((x) => ({
  q: x,
  score: quantileOfSorted(sorted, x),
}));
const meta: ModelMeta = {
  format: ARTIFACT_FORMAT,
  name: values.name,
  version: 'pending',
  created_at: new Date().toISOString(),
  seed,
  features: [...MODEL_FEATURES],
  ...forestParams(forest),
  training: {
    rows: rows.data.rows,
    source,
    features: summarise(rows.data, MODEL_FEATURES),
    score_quantiles: quantiles,
  },
  threshold: { quantile: q, score: quantileOfSorted(sorted, q) },
};
let artifact = toArtifact(forest, meta);
// The default version names the model's content: the same training gives the same version.
const digest = createHash('sha256')
  .update(JSON.stringify({ ...artifact, created_at: '', version: '' }))
  .digest('hex')
  .slice(0, 10);
artifact = { ...artifact, version: values.version ?? digest };
const stem = `${artifact.name}-${artifact.version}`;
const text = JSON.stringify(artifact, null, 2) + '\n';

mkdirSync(values.out, { recursive: true });
const path = join(values.out, `${stem}.json`);
// Written beside and renamed over: a service watching the file never reads half of it.
writeFileSync(`${path}.tmp`, text);
renameSync(`${path}.tmp`, path);
log(`wrote ${path} (${(text.length / 1024).toFixed(0)} KiB)`);

const report: TrainingReport = {
  command: `npm run train -- ${process.argv.slice(2).join(' ')}`,
  artifactPath: path,
  artifactBytes: Buffer.byteLength(text),
  meta: artifact,
  forest,
  trainSeconds,
  usPerScore: timeScoring(forest, rows.data),
  trainingAuc: rows.labels !== undefined ? safeAuc(scores, rows.labels) : undefined,
};
if (values.simulate !== undefined) {
  const holdoutSeed = seed + 1000;
  log(`hold-out: labelled simulated stream, seed ${holdoutSeed}, fraud rate 0.01`);
  const holdout = await toFeatureRows(simulated(ACCOUNTS * PER_DAY * 3, holdoutSeed, 0.01), {
    skip: ACCOUNTS * PER_DAY,
  });
  report.holdout = holdoutEvaluation(forest, holdout, artifact.threshold.score, holdoutSeed);
}
const reportPath = join(values.out, `${stem}.md`);
writeFileSync(reportPath, trainingReportMarkdown(report));
log(`wrote ${reportPath}`);
process.stdout.write(`${path}\n`);

function safeAuc(s: Float64Array, labels: Uint8Array): number | undefined {
  try {
    return rocAuc(s, labels);
  } catch {
    return undefined; // one class only
  }
}
