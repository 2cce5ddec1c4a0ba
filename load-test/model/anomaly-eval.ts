import { performance } from 'node:perf_hooks';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { encodeTrees } from '../../src/domain/anomaly/artifact.ts';
import type { Matrix } from '../../src/domain/anomaly/matrix.ts';
import type { Random } from '../../src/domain/anomaly/random.ts';
import { seededRandom } from '../../src/domain/anomaly/random.ts';
import { rocAuc } from '../../src/domain/anomaly/roc-auc.ts';
import { scoreRows, trainForest } from '../../src/domain/anomaly/train.ts';
import type { LabelledData } from './numeric-csv.ts';

/** One evaluation in the paper's setting: train on every row (unlabelled), score every row. */
export interface ForestRun {
  auc: number;
  /** Length of the trees' JSON encoding in an artifact. */
  treesJsonBytes: number;
  rows: number;
  /** Training plus scoring, wall clock. */
  seconds: number;
  trainSeconds: number;
  scoreSeconds: number;
  usPerScore: number;
}

export interface ForestRunOptions {
  seed: number;
  trees?: number;
  subsampleSize?: number;
}

const since = (t0: number): number => (performance.now() - t0) / 1000;

export function runForest(d: LabelledData, opts: ForestRunOptions): ForestRun {
  const t0 = performance.now();
  const forest = trainForest(d.data, {
    trees: opts.trees ?? 100,
    subsampleSize: opts.subsampleSize ?? 256,
    random: seededRandom(opts.seed),
  });
  const trainSeconds = since(t0);
  const t1 = performance.now();
  const scores = scoreRows(forest, d.data);
  const scoreSeconds = since(t1);
  return {
    auc: rocAuc(scores, d.labels),
    treesJsonBytes: JSON.stringify(encodeTrees(forest.trees)).length,
    rows: d.data.rows,
    seconds: trainSeconds + scoreSeconds,
    trainSeconds,
    scoreSeconds,
    usPerScore: (scoreSeconds * 1e6) / d.data.rows,
  };
}

/** `count` distinct row indexes, uniformly without replacement, in ascending order. */
export function sampleRows(total: number, count: number, random: Random): Int32Array {
  const perm = new Int32Array(total);
  for (let i = 0; i < total; i++) perm[i] = i;
  const k = Math.min(count, total);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random.next() * (total - i));
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm.slice(0, k).sort();
}

function toArrays(m: Matrix, indexes?: Int32Array): number[][] {
  const n = indexes?.length ?? m.rows;
  const out: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const r = indexes === undefined ? i : indexes[i]!;
    out[i] = Array.from(m.values.subarray(r * m.cols, (r + 1) * m.cols));
  }
  return out;
}

export interface BaselineRun {
  auc: number;
  rows: number;
  /** Rows the baseline was trained on (all of them, or a uniform sample). */
  trainRows: number;
  seconds: number;
  trainSeconds: number;
  scoreSeconds: number;
  usPerScore: number;
  /** Length of JSON.stringify(model), when asked for. */
  jsonBytes?: number;
}

/**
 * ml-isolation-forest 0.1.0 on the same data: trained on every row, or on a uniform sample of
 * `maxTrainRows` rows where the whole set would take too long (it grows every tree on its whole
 * training set), then asked for the score of every row. It draws with Math.random, so its runs
 * cannot be seeded; the seed only picks the training sample.
 */
export function runBaseline(
  d: LabelledData,
  opts: {
    seed: number;
    maxTrainRows: number;
    trees?: number;
    log?: (m: string) => void;
    serialise?: boolean;
  },
): BaselineRun {
  const sample =
    d.data.rows > opts.maxTrainRows
      ? sampleRows(d.data.rows, opts.maxTrainRows, seededRandom(opts.seed))
      : undefined;
  const training = toArrays(d.data, sample);
  const t0 = performance.now();
  const model = new MlIsolationForest({ nEstimators: opts.trees ?? 100 });
  model.train(training);
  const trainSeconds = since(t0);
  const all = toArrays(d.data);
  const scores = new Float64Array(all.length);
  const chunk = 50_000;
  const t1 = performance.now();
  for (let i = 0; i < all.length; i += chunk) {
    scores.set(model.predict(all.slice(i, i + chunk)), i);
    if (all.length > chunk) opts.log?.(`  baseline scored ${Math.min(i + chunk, all.length)} rows`);
  }
  const scoreSeconds = since(t1);
  const jsonBytes = opts.serialise === true ? JSON.stringify(model).length : undefined;
  return {
    ...(jsonBytes === undefined ? {} : { jsonBytes }),
    auc: rocAuc(scores, d.labels),
    rows: d.data.rows,
    trainRows: training.length,
    seconds: trainSeconds + scoreSeconds,
    trainSeconds,
    scoreSeconds,
    usPerScore: (scoreSeconds * 1e6) / d.data.rows,
  };
}
