import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from '../../src/app/paths.ts';
import type { ModelArtifact } from '../../src/domain/anomaly/artifact.ts';
import type { Matrix } from '../../src/domain/anomaly/matrix.ts';
import { fromRows } from '../../src/domain/anomaly/matrix.ts';
import { seededRandom } from '../../src/domain/anomaly/random.ts';

/** n points of a 3-dimensional normal cloud, then `outliers` far from it; labels to match. */
export function cloud(n: number, outliers: number, seed = 5): { data: Matrix; labels: number[] } {
  const r = seededRandom(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push([g(), g(), g()]);
  for (let i = 0; i < outliers; i++) rows.push([6 + g(), -6 + g(), 6 * r.next()]);
  return { data: fromRows(rows), labels: rows.map((_, i) => (i < n ? 0 : 1)) };
}

/** The model the service ships and loads by default. */
export const SHIPPED_MODEL = resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);

/** A fresh directory for model files, removed by the returned function. */
export function modelDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'risk-model-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes the shipped model under another version to `path`, the way `npm run train` does:
 * beside it first, then renamed over it.
 */
export function writeModelVersion(
  path: string,
  version: string,
  edit?: (a: ModelArtifact) => void,
): void {
  const a = JSON.parse(readFileSync(SHIPPED_MODEL, 'utf8')) as ModelArtifact;
  a.version = version;
  edit?.(a);
  writeFileSync(`${path}.tmp`, JSON.stringify(a));
  renameSync(`${path}.tmp`, path);
}
