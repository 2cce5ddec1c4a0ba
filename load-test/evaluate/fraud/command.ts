import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from '../../cli.ts';
import { writeFraudReport } from './report.ts';
import { runFraudEvaluation } from './run.ts';

/** `npm run evaluate -- fraud [--data-dir DIR] [--seed N] [--out DIR]`. */
export async function fraudCommand(
  usage: string,
  args: string[],
  log: (m: string) => void,
): Promise<void> {
  const values = parseCommandLine(
    usage,
    {
      'data-dir': { type: 'string', default: '../shared/data/fraud' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'load-test/reports' },
    },
    args,
  );
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error('--seed must be a non-negative integer');
  const command = `npm run evaluate -- fraud ${args.join(' ')}`.trim();
  const stem = await runFraudEvaluation({
    dataDir: values['data-dir'],
    out: values.out,
    seed,
    log,
    write: (results, s) => {
      const versions: Record<string, string> = {};
      const first = results[0];
      if (first !== undefined) {
        // The Python side wrote its library versions beside its scores; the report names them.
        Object.assign(versions, pythonVersions());
      }
      writeFraudReport(results, s, { command, versions: { node: process.version, ...versions } });
      for (const r of results) {
        process.stdout.write(`${r.name}: test half ${r.test.rows} rows, ${r.test.frauds} fraud\n`);
        for (const m of r.methods) {
          const p = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
          process.stdout.write(
            `  ${m.name.padEnd(52)} ROC AUC ${m.roc_auc.toFixed(3)}  PR AUC ${m.pr_auc.toFixed(3)}  ` +
              `precision ${p(m.precision)}  recall ${p(m.recall)}\n`,
          );
        }
      }
    },
  });
  process.stdout.write(`${stem}.md\n`);
}

function pythonVersions(): Record<string, string> {
  const reqs = readFileSync(
    join(import.meta.dirname, '../../model/python/requirements.txt'),
    'utf8',
  );
  return Object.fromEntries(
    reqs
      .split('\n')
      .filter((l) => /^[a-z]/.test(l))
      .map((l) => l.split('==') as [string, string]),
  );
}
