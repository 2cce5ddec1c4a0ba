import { matrix } from '../../src/domain/anomaly/matrix.ts';
import type { Random } from '../../src/domain/anomaly/random.ts';
import { seededRandom } from '../../src/domain/anomaly/random.ts';
import type { LabelledData } from './numeric-csv.ts';

/** A standard normal draw (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random.next(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/**
 * Two-dimensional normal points (standard normal) with a share of anomalies packed in one tight
 * cluster (sd 0.05) away from them, at (3, 3). A cluster is what masks anomalies from a forest
 * grown on the whole data: together they are dense enough to look normal, which subsampling
 * (ψ = 256) undoes. Labels: 1 for the cluster.
 */
export function clusteredAnomalies(opts: {
  seed: number;
  rows?: number;
  anomalyShare?: number;
}): LabelledData {
  const rows = opts.rows ?? 10_000;
  const anomalies = Math.round(rows * (opts.anomalyShare ?? 0.03));
  const random = seededRandom(opts.seed);
  const data = matrix(rows, 2);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const anomalous = r < anomalies;
    labels[r] = anomalous ? 1 : 0;
    for (let c = 0; c < 2; c++)
      data.values[r * 2 + c] = anomalous ? 3 + 0.05 * gaussian(random) : gaussian(random);
  }
  return { names: ['x', 'y'], data, labels };
}
