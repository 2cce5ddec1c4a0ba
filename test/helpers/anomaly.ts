import type { Matrix } from '../../src/domain/anomaly/matrix.js';
import { fromRows } from '../../src/domain/anomaly/matrix.js';
import { seededRandom } from '../../src/domain/anomaly/random.js';

/** n points of a 3-dimensional normal cloud, then `outliers` far from it; labels to match. */
export function cloud(n: number, outliers: number, seed = 5): { data: Matrix; labels: number[] } {
  const r = seededRandom(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push([g(), g(), g()]);
  for (let i = 0; i < outliers; i++) rows.push([6 + g(), -6 + g(), 6 * r.next()]);
  return { data: fromRows(rows), labels: rows.map((_, i) => (i < n ? 0 : 1)) };
}
