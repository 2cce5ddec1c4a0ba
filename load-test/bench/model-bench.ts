import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { createMemoryVelocityStore } from '../../src/adapters/memory/memory-velocity-store.ts';
import { modelFromJson } from '../../src/adapters/file/file-model-source.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from '../../src/app/paths.ts';
import { anomalyScore } from '../../src/domain/anomaly/forest.ts';
import { MODEL_FEATURES, modelFeatures } from '../../src/domain/anomaly/model-features.ts';
import type { VelocityFeatures } from '../../src/domain/features.ts';
import type { Transaction } from '../../src/domain/transaction.ts';
import { eventTimeMs } from '../../src/domain/transaction.ts';
import { SCENARIOS, simulate } from '../simulator/simulator.ts';
import type { BenchSection } from './report.ts';
import { machineInfo, toMarkdown } from './report.ts';

interface Timing {
  medianUs: number;
  p99Us: number;
}

/** Times each call on its own (hrtime) over `rounds` passes, after a warm-up pass. */
function time<T>(items: readonly T[], rounds: number, call: (x: T) => number): Timing {
  let sink = 0;
  for (const x of items) sink += call(x);
  const samples = new Float64Array(items.length * rounds);
  let i = 0;
  for (let r = 0; r < rounds; r++) {
    for (const x of items) {
      const t0 = process.hrtime.bigint();
      sink += call(x);
      samples[i++] = Number(process.hrtime.bigint() - t0) / 1000;
    }
  }
  if (Number.isNaN(sink)) throw new Error('a score was NaN');
  samples.sort();
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { medianUs: at(0.5), p99Us: at(0.99) };
}

/** The simulator's transactions with their velocity features, after a day of warm-up. */
async function enriched(
  n: number,
  seed: number,
  withFraud = true,
): Promise<Array<{ tx: Transaction; features: VelocityFeatures }>> {
  let clock = 0;
  const store = createMemoryVelocityStore({ now: () => clock });
  const stream = simulate({
    seed,
    customers: 2_000,
    hours: 24 + Math.ceil(n / 200),
    ...(withFraud ? {} : { rates: Object.fromEntries(SCENARIOS.map((sc) => [sc, 0])) }),
  });
  const warmupEnd = Date.parse(stream[0]?.transaction.timestamp ?? '') + 24 * 3_600_000;
  const out: Array<{ tx: Transaction; features: VelocityFeatures }> = [];
  for (const { transaction: tx } of stream) {
    clock = Math.max(clock, eventTimeMs(tx));
    const features = await store.record(tx);
    if (clock >= warmupEnd && out.length < n) out.push({ tx, features });
  }
  return out;
}

/**
 * The anomaly model on the scoring hot path: the shipped model's `score(tx, features)` (feature
 * vector plus forest), the forest alone on the same vectors, and ml-isolation-forest 0.1.0's
 * predict on the same vectors, trained on 20,000 rows of the same simulated traffic.
 */
export async function modelBench(log: (m: string) => void): Promise<BenchSection> {
  const path = resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);
  const model = modelFromJson(readFileSync(path, 'utf8'), path);
  const forest = model.forest;
  log('model scoring: enriching 5,000 simulated transactions');
  const calls = await enriched(5_000, 11);
  const vectors = calls.map((c) => modelFeatures(c.tx, c.features));
  const plain = vectors.map((v) => Array.from(v));

  log('model scoring: training ml-isolation-forest on 20,000 simulated rows');
  const training = (await enriched(20_000, 1, false)).map((c) =>
    Array.from(modelFeatures(c.tx, c.features)),
  );
  const baseline = new MlIsolationForest({ nEstimators: 100 });
  baseline.train(training);

  log('model scoring: timing');
  const full = time(calls, 10, (c) => model.score(c.tx, c.features));
  const forestOnly = time(vectors, 10, (x) => anomalyScore(forest, x));
  const features = time(calls, 10, (c) => modelFeatures(c.tx, c.features)[0]!);
  const ml = time(plain.slice(0, 2_000), 2, (x) => baseline.predict([x])[0]!);
  const ratio = (t: Timing) => `${(ml.medianUs / t.medianUs).toFixed(0)}× faster`;
  return {
    title: 'Anomaly model scoring',
    method:
      `The shipped model (${model.version}: ${forest.treeCount} trees, ψ = ${forest.subsampleSize}, ` +
      `${MODEL_FEATURES.length} features) on 5,000 simulated transactions with their velocity ` +
      'features; each call timed on its own with process.hrtime after a warm-up pass, 10 passes ' +
      '(ml-isolation-forest: 2,000 calls, 2 passes), in one process.',
    columns: ['what', 'median µs', 'p99 µs', 'against ml-isolation-forest (median)'],
    rows: [
      ['score(tx, features): feature vector + forest', full.medianUs, full.p99Us, ratio(full)],
      [
        'forest alone (anomalyScore on the vector)',
        forestOnly.medianUs,
        forestOnly.p99Us,
        ratio(forestOnly),
      ],
      ['feature vector alone (modelFeatures)', features.medianUs, features.p99Us, ''],
      [
        'ml-isolation-forest 0.1.0 predict([x]), trained on 20,000 rows',
        ml.medianUs,
        ml.p99Us,
        '1.0×',
      ],
    ],
    notes: [
      'ml-isolation-forest grows each tree on its whole training set (here 20,000 rows), so its ' +
        'trees are deeper and its leaves hold the rows; its cost grows with the training set.',
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
  const section = await modelBench(log);
  process.stdout.write(
    toMarkdown({
      startedAt: new Date().toISOString(),
      machine: machineInfo(),
      sections: [section],
    }),
  );
}
