import type { Matrix } from './matrix.ts';

export interface FeatureSummary {
  name: string;
  min: number;
  max: number;
  mean: number;
}

/** Per-column min, max and mean: what a model artifact records of its training data. */
export function summarise(data: Matrix, names: readonly string[]): FeatureSummary[] {
  if (names.length !== data.cols)
    throw new RangeError(`${names.length} names for ${data.cols} columns`);
  return names.map((name, c) => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let r = 0; r < data.rows; r++) {
      const v = data.values[r * data.cols + c]!;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    return { name, min, max, mean: data.rows > 0 ? sum / data.rows : 0 };
  });
}

/** The q-quantile of ascending values (nearest rank: the smallest value with ≥ q of them at or below). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const k = Math.max(0, Math.ceil(q * sorted.length) - 1);
  return sorted[k]!;
}
