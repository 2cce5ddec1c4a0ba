import type { IsolationForest } from './forest.ts';
import { LEAF, anomalyScore, buildForest } from './forest.ts';
import type { Matrix } from './matrix.ts';
import { heightLimit } from './path-length.ts';
import type { Random } from './random.ts';

export interface TrainOptions {
  /** t, the number of trees; the paper's default is 100. */
  trees?: number;
  /** ψ, the points each tree is grown on; the paper's default is 256. */
  subsampleSize?: number;
  random: Random;
}

export const DEFAULT_TREES = 100;
export const DEFAULT_SUBSAMPLE_SIZE = 256;
/** Split features are stored as 16-bit integers. */
export const MAX_FEATURES = 32_767;

/**
 * Grows an isolation forest as in Liu, Ting and Zhou, "Isolation Forest" (ICDM 2008),
 * Algorithms 1 and 2: each tree on ψ points drawn without replacement from the training rows,
 * grown by random axis-parallel splits until a node holds one point, all its points are equal,
 * or the node reaches the height limit ceil(log2 ψ).
 *
 * A split picks its feature uniformly among the features that still vary within the node (a
 * constant feature cannot split it, and the paper stops only when all the node's points are the
 * same), then a split value uniformly in [min, max) of that feature within the node.
 *
 * The same rows and the same Random sequence give the same forest.
 */
export function trainForest(data: Matrix, opts: TrainOptions): IsolationForest {
  const trees = opts.trees ?? DEFAULT_TREES;
  const requested = opts.subsampleSize ?? DEFAULT_SUBSAMPLE_SIZE;
  if (!Number.isInteger(trees) || trees < 1)
    throw new RangeError(`trees must be a positive integer, got ${trees}`);
  if (!Number.isInteger(requested) || requested < 1)
    throw new RangeError(`subsample size must be a positive integer, got ${requested}`);
  if (data.rows < 1) throw new RangeError('cannot train on zero rows');
  if (data.cols > MAX_FEATURES)
    throw new RangeError(`at most ${MAX_FEATURES} features, got ${data.cols}`);
  for (let k = 0; k < data.values.length; k++) {
    if (!Number.isFinite(data.values[k]))
      throw new RangeError(
        `row ${Math.floor(k / data.cols)}, feature ${k % data.cols}: not a finite number`,
      );
  }
  const { cols, values } = data;
  const psi = Math.min(requested, data.rows);
  const limit = heightLimit(psi);
  const rnd = opts.random;

  // A tree of ψ points has 2ψ − 1 nodes unless a split leaves a side empty (a split value
  // drawn exactly at the minimum); the arrays grow in that rare case.
  let feature = new Int16Array(trees * (2 * psi - 1));
  let value = new Float64Array(feature.length);
  const nodeCounts = new Int32Array(trees);
  let n = 0;

  const perm = new Int32Array(data.rows);
  for (let i = 0; i < perm.length; i++) perm[i] = i;
  const sample = new Int32Array(psi);
  const lo = new Float64Array(cols);
  const hi = new Float64Array(cols);
  const varying = new Int32Array(cols);

  const grow = (from: number, to: number, depth: number): void => {
    const node = n++;
    if (node === feature.length) {
      const f = new Int16Array(2 * feature.length);
      f.set(feature);
      feature = f;
      const v = new Float64Array(f.length);
      v.set(value);
      value = v;
    }
    const size = to - from;
    let candidates = 0;
    if (depth < limit && size > 1) {
      lo.fill(Infinity);
      hi.fill(-Infinity);
      for (let k = from; k < to; k++) {
        const base = sample[k]! * cols;
        for (let c = 0; c < cols; c++) {
          const v = values[base + c]!;
          if (v < lo[c]!) lo[c] = v;
          if (v > hi[c]!) hi[c] = v;
        }
      }
      for (let c = 0; c < cols; c++) if (hi[c]! > lo[c]!) varying[candidates++] = c;
    }
    if (candidates === 0) {
      feature[node] = LEAF;
      value[node] = size;
      return;
    }
    const q = varying[Math.floor(rnd.next() * candidates)]!;
    const p = lo[q]! + rnd.next() * (hi[q]! - lo[q]!);
    // Partition sample[from, to) in place: points with x[q] < p first.
    let mid = from;
    for (let k = from; k < to; k++) {
      const s = sample[k]!;
      if (values[s * cols + q]! < p) {
        sample[k] = sample[mid]!;
        sample[mid++] = s;
      }
    }
    feature[node] = q;
    value[node] = p;
    grow(from, mid, depth + 1);
    grow(mid, to, depth + 1);
  };

  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first ψ entries of perm become a uniform sample without
    // replacement, whatever order an earlier tree left perm in.
    for (let k = 0; k < psi; k++) {
      const j = k + Math.floor(rnd.next() * (perm.length - k));
      const tmp = perm[k]!;
      perm[k] = perm[j]!;
      perm[j] = tmp;
      sample[k] = perm[k]!;
    }
    const before = n;
    grow(0, psi, 0);
    nodeCounts[t] = n - before;
  }

  return buildForest(
    { featureCount: cols, subsampleSize: psi },
    { nodeCounts, feature: feature.slice(0, n), value: value.slice(0, n) },
  );
}

/** The anomaly score of every row of a matrix. */
export function scoreRows(forest: IsolationForest, data: Matrix): Float64Array {
  if (data.cols !== forest.featureCount)
    throw new RangeError(`rows have ${data.cols} features, the forest ${forest.featureCount}`);
  const out = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++)
    out[r] = anomalyScore(forest, data.values.subarray(r * data.cols, (r + 1) * data.cols));
  return out;
}
