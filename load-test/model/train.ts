/**
 * `npm run train -- [options]`: trains the transaction anomaly model and writes
 * `<out>/<name>-<version>.json` (the artifact the service loads) and `<name>-<version>.md` (its
 * training report).
 *
 *   --data FILE           transactions as NDJSON or CSV (optionally .gz), with an optional label
 *   --mapping FILE        how the --data file's own columns become transactions (risk-columns/1;
 *                         load-test/model/mappings/paysim.json and ulb.json are examples)
 *   --features FILE       the model's features (risk-features/1, e.g. models/features/ulb.json):
 *                         velocity features, derived ones, attributes.<key>, attributes.<key>=<v>;
 *                         default the 14 of models/features/default.json
 *   --model KIND          iforest (default) or gbdt: gradient-boosted trees trained on the labels
 *                         with LightGBM (Python venv created on first use by scripts/ml-venv.sh),
 *                         written as risk-gbdt/1 for FRAUD_MODEL_PATH
 *   --simulate HOURS      or HOURS of the seeded simulator's traffic (load-test/simulator), after
 *                         a first day that only fills the velocity windows
 *   --customers N         simulated customers (default 5000)
 *   --with-fraud          keep the simulator's fraud scenarios in the training stream (default:
 *                         normal traffic only, as the forest models the normal)
 *   --warmup N            leading transactions of a file that only fill the velocity windows
 *                         (default 0)
 *   --seed N              seeds the forest and the simulation (default 1)
 *   --name NAME           default tx-iforest (tx-gbdt with --model gbdt)
 *   --version V           default: a digest of the trained model
 *   --trees T --subsample PSI       default 100 and 256
 *   --threshold-quantile Q          default 0.99
 *   --out DIR             default models
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Scenario } from '../simulator/simulator.ts';
import { SCENARIOS, simulate } from '../simulator/simulator.ts';
import type { ModelMeta } from '../../src/domain/anomaly/artifact.ts';
import { ARTIFACT_FORMAT, forestParams, toArtifact } from '../../src/domain/anomaly/artifact.ts';
import { MODEL_FEATURES } from '../../src/domain/anomaly/model-features.ts';
import { seededRandom } from '../../src/domain/anomaly/random.ts';
import { rocAuc } from '../../src/domain/anomaly/roc-auc.ts';
import { quantileOfSorted, summarise } from '../../src/domain/anomaly/summary.ts';
import { scoreRows, trainForest } from '../../src/domain/anomaly/train.ts';
import type { LabelledInput } from './training-data.ts';
import { toFeatureRows } from './training-data.ts';
import type { TrainingReport } from './training-report.ts';
import { holdoutEvaluation, timeScoring, trainingReportMarkdown } from './training-report.ts';
import { readTransactions } from './transactions-file.ts';
import { loadColumnMapping, readMappedTransactions } from './column-mapping.ts';
import { loadFeatureConfig } from './feature-config.ts';
import { trainGbdt } from './train-gbdt.ts';
import { UsageError, parseCommandLine, runCommand } from '../cli.ts';

const log = (m: string): void => {
  process.stderr.write(`[train ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
};

const USAGE = `usage: npm run train -- [options]

Trains the transaction anomaly model and writes <out>/<name>-<version>.json (the artifact the
service loads) and <out>/<name>-<version>.md (its training report).

  --data FILE           transactions as NDJSON or CSV (optionally .gz), with an optional label
  --mapping FILE        how the --data file's own columns become transactions (risk-columns/1;
                        load-test/model/mappings/paysim.json and ulb.json are examples)
  --features FILE       the model's features (risk-features/1, e.g. models/features/ulb.json):
                        velocity features, derived ones, attributes.<key>, attributes.<key>=<v>;
                        default the 14 of models/features/default.json
  --model KIND          iforest (default) or gbdt: gradient-boosted trees trained on the labels
                        with LightGBM (Python venv created on first use by scripts/ml-venv.sh),
                        written as risk-gbdt/1 for FRAUD_MODEL_PATH
  --simulate HOURS      or HOURS of the seeded simulator's traffic (load-test/simulator), after
                        a first day that only fills the velocity windows
  --customers N         simulated customers (default 5000)
  --with-fraud          keep the simulator's fraud scenarios in the training stream (default:
                        normal traffic only, as the forest models the normal)
  --warmup N            leading transactions of a file that only fill the velocity windows
                        (default 0)
  --seed N              seeds the forest and the simulation (default 1)
  --name NAME           default tx-iforest (tx-gbdt with --model gbdt)
  --version V           default: a digest of the trained model
  --trees T --subsample PSI       default 100 and 256
  --threshold-quantile Q          default 0.99
  --out DIR             default models`;

await runCommand(USAGE, async () => {
  const values = parseCommandLine(USAGE, {
    data: { type: 'string' },
    mapping: { type: 'string' },
    features: { type: 'string' },
    model: { type: 'string', default: 'iforest' },
    simulate: { type: 'string' },
    customers: { type: 'string', default: '5000' },
    'with-fraud': { type: 'boolean', default: false },
    warmup: { type: 'string' },
    seed: { type: 'string', default: '1' },
    name: { type: 'string' },
    version: { type: 'string' },
    trees: { type: 'string', default: '100' },
    subsample: { type: 'string', default: '256' },
    'threshold-quantile': { type: 'string', default: '0.99' },
    out: { type: 'string', default: 'models' },
  });

  function num(name: keyof typeof values, v: string | undefined, integer = true): number {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n))) {
      throw new UsageError(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}`);
    }
    return n;
  }

  const seed = num('seed', values.seed);
  const trees = num('trees', values.trees);
  const subsample = num('subsample', values.subsample);
  const q = num('threshold-quantile', values['threshold-quantile'], false);
  const customers = num('customers', values.customers);
  if ((values.data === undefined) === (values.simulate === undefined)) {
    throw new UsageError('give exactly one of --data FILE or --simulate N');
  }
  if (values.model !== 'iforest' && values.model !== 'gbdt')
    throw new UsageError('--model must be iforest or gbdt');
  if (values.mapping !== undefined && values.data === undefined)
    throw new UsageError('--mapping applies to a --data file');
  const names: readonly string[] =
    values.features === undefined ? MODEL_FEATURES : loadFeatureConfig(values.features).features;
  const modelName = values.name ?? (values.model === 'gbdt' ? 'tx-gbdt' : 'tx-iforest');
  const DAY_HOURS = 24;
  const NO_FRAUD = Object.fromEntries(SCENARIOS.map((sc) => [sc, 0])) as Record<Scenario, number>;

  /**
   * The simulator's stream as training input, and how many leading transactions fall in its first
   * day (the warm-up that only fills the velocity windows).
   */
  function simulated(
    hours: number,
    streamSeed: number,
    withFraud: boolean,
  ): { items: LabelledInput[]; warmup: number } {
    const stream = simulate({
      seed: streamSeed,
      customers,
      hours: DAY_HOURS + hours,
      ...(withFraud ? {} : { rates: NO_FRAUD }),
    });
    const dayEnd = Date.parse(stream[0]?.transaction.timestamp ?? '') + DAY_HOURS * 3_600_000;
    return {
      items: stream.map((s) => ({
        tx: s.transaction,
        label: s.label.fraud ? 1 : 0,
        pattern: s.label.scenario ?? 'normal',
      })),
      warmup: stream.findIndex((s) => Date.parse(s.transaction.timestamp) >= dayEnd),
    };
  }

  let input: Iterable<LabelledInput>;
  let source: string;
  let warmup: number;
  if (values.simulate !== undefined) {
    const hours = num('simulate', values.simulate, false);
    const sim = simulated(hours, seed, values['with-fraud']);
    warmup = sim.warmup;
    source =
      `simulator (load-test/simulator), seed ${seed}, ${customers} customers, ` +
      `${hours} h after a first day of warm-up (${warmup} transactions), ` +
      (values['with-fraud'] ? 'fraud scenarios included' : 'normal traffic only');
    input = sim.items;
  } else {
    const file = values.data!;
    log(`reading ${file}${values.mapping === undefined ? '' : ` through ${values.mapping}`}`);
    input =
      values.mapping === undefined
        ? await readTransactions(file).catch((err: unknown) => {
            const m = err instanceof Error ? err.message : String(err);
            if (!m.includes('not a valid transaction')) throw err;
            throw new Error(
              `${m} (a file with columns of its own needs --mapping FILE; see load-test/model/mappings/)`,
              { cause: err },
            );
          })
        : await readMappedTransactions(file, loadColumnMapping(values.mapping));
    warmup = values.warmup === undefined ? 0 : num('warmup', values.warmup);
    source = `${file}${warmup > 0 ? `, first ${warmup} transactions as warm-up` : ''}`;
  }

  log('enriching transactions with velocity features');
  const rows = await toFeatureRows(input, {
    skip: warmup,
    onProgress: (done) => log(`  ${done} transactions`),
    features: names,
    missing: values.model === 'gbdt' ? Number.NaN : 0,
  });
  log(`${rows.data.rows} training rows of ${names.length} features`);
  if (values.model === 'gbdt') {
    const version = values.version ?? new Date().toISOString().replace(/[-:]|\.\d+Z/g, '');
    mkdirSync(values.out, { recursive: true });
    const path = join(values.out, `${modelName}-${version}.json`);
    trainGbdt({ rows, names, path, name: modelName, version, source, seed, log });
    log(`wrote ${path}`);
    process.stdout.write(`${path}\n`);
    return;
  }

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
    name: modelName,
    version: 'pending',
    created_at: new Date().toISOString(),
    seed,
    features: [...names],
    ...forestParams(forest),
    training: {
      rows: rows.data.rows,
      source,
      features: summarise(rows.data, names),
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
    log(`hold-out: the simulator with its fraud scenarios, seed ${holdoutSeed}, 48 h`);
    const sim = simulated(48, holdoutSeed, true);
    const holdout = await toFeatureRows(sim.items, { skip: sim.warmup });
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
});
