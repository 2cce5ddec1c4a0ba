import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraudModelFromJson } from '../../src/adapters/file/file-fraud-model-source.ts';
import { mlPython, runPython } from '../evaluate/fraud/run.ts';
import type { FeatureRows } from './training-data.ts';

/**
 * `npm run train -- --model gbdt`: the labelled feature rows (computed here, by the service's
 * own feature code, NaN for a missing value) go to LightGBM in the cached Python venv; the
 * exported risk-gbdt/1 artifact is loaded back through the service's loader before it is
 * written to `path`, so a file that lands is one FRAUD_MODEL_PATH accepts.
 */
export function trainGbdt(opts: {
  rows: FeatureRows;
  names: readonly string[];
  path: string;
  name: string;
  version: string;
  source: string;
  seed: number;
  log: (m: string) => void;
}): string {
  const { rows, names } = opts;
  if (rows.labels === undefined)
    throw new Error('--model gbdt needs a label on every row (a label column, or --mapping)');
  const dir = mkdtempSync(join(tmpdir(), 'risk-train-gbdt-'));
  try {
    const csv = join(dir, 'train.csv');
    const lines = [[...names, 'label'].join(',')];
    const { data } = rows;
    for (let r = 0; r < data.rows; r++) {
      const cells: string[] = [];
      for (let c = 0; c < data.cols; c++) {
        const v = data.values[r * data.cols + c]!;
        cells.push(Number.isNaN(v) ? 'nan' : String(v));
      }
      lines.push(`${cells.join(',')},${rows.labels[r]}`);
    }
    writeFileSync(csv, lines.join('\n') + '\n');
    const python = mlPython(opts.log);
    opts.log(`training LightGBM on ${data.rows} rows of ${names.length} features`);
    const out = join(dir, 'model.json');
    runPython(python, [
      'gbdt',
      '--train',
      csv,
      '--out',
      out,
      '--name',
      opts.name,
      '--version',
      opts.version,
      '--source',
      opts.source,
      '--seed',
      String(opts.seed),
    ]);
    const text = readFileSync(out, 'utf8');
    const model = fraudModelFromJson(text, out);
    // Written beside and renamed over: a service watching the file never reads half of it.
    writeFileSync(`${opts.path}.tmp`, text);
    renameSync(`${opts.path}.tmp`, opts.path);
    return model.version;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
