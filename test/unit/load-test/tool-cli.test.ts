import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * The tool commands as a user meets them: --help is the usage (exit 0), a wrong option is the
 * usage with what is wrong (exit 2), a bad file is one line saying why (exit 1). Never a stack
 * trace (they used to print one for each of these).
 */

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

const STACK = /^\s+at /m;

for (const [script, name] of [
  ['load-test/model/train.ts', 'train'],
  ['load-test/model/evaluate.ts', 'evaluate'],
] as const) {
  test(`npm run ${name} -- --help prints the usage and exits 0`, () => {
    const r = run(script, ['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`usage: npm run ${name}`));
    assert.doesNotMatch(r.stderr, STACK);
  });

  test(`npm run ${name} with an unknown option says so with the usage, exit 2`, () => {
    const r = run(script, name === 'evaluate' ? ['anomaly', '--bogus'] : ['--bogus']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /Unknown option '--bogus'/);
    assert.match(r.stderr, /usage:/);
    assert.doesNotMatch(r.stderr, STACK);
  });
}

test('npm run train on a CSV that holds no transactions: one line naming the file, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'risk-cli-'));
  try {
    const file = join(dir, 'raw.csv');
    writeFileSync(file, 'step,type,amount\n1,PAYMENT,9839.64\n');
    const r = run('load-test/model/train.ts', ['--data', file, '--out', dir]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`error: ${file.replace(/[.]/g, '\\.')}:2: not a valid transaction`),
    );
    assert.doesNotMatch(r.stderr, STACK);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
