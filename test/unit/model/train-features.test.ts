import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelFromJson } from '../../../src/adapters/file/file-model-source.ts';
import { makeTx } from '../../helpers/tx.ts';

/*
 * `npm run train` on a file with its own columns: through a column mapping, with the features
 * of a feature config; the artifact records them, and the service's loader scores with them.
 */
const dir = mkdtempSync(join(tmpdir(), 'risk-train-features-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'load-test/model/train.ts', ...args],
    { encoding: 'utf8', timeout: 120_000 },
  );

describe('npm run train with a column mapping and a feature config', { timeout: 150_000 }, () => {
  const data = join(dir, 'own.csv');
  const lines = ['when,who,value,risk,fraud'];
  for (let i = 0; i < 600; i++) {
    lines.push(`${i * 60},u${i % 40},${10 + (i % 17)},${(i * 7) % 11},${i % 50 === 0 ? 1 : 0}`);
  }
  writeFileSync(data, lines.join('\n') + '\n');
  const mapping = join(dir, 'mapping.json');
  writeFileSync(
    mapping,
    JSON.stringify({
      format: 'risk-columns/1',
      timestamp: { column: 'when', unit: 'seconds', origin: '2026-03-01T00:00:00Z' },
      fields: { amount: 'value', account_id: 'who' },
      attributes: { risk: 'risk' },
      label: 'fraud',
    }),
  );
  const features = join(dir, 'features.json');
  const names = ['log_amount', 'attributes.risk', 'account.count_1h'];
  writeFileSync(features, JSON.stringify({ format: 'risk-features/1', features: names }));

  test('the artifact names the configured features and the service scores with them', () => {
    const r = run([
      '--data',
      data,
      '--mapping',
      mapping,
      '--features',
      features,
      '--out',
      dir,
      '--version',
      't',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const path = join(dir, 'tx-iforest-t.json');
    const model = modelFromJson(readFileSync(path, 'utf8'), path);
    assert.deepEqual(model.meta.features, names);
    // The attribute is a real input: scores differ when only it changes.
    const at = (risk: number) =>
      model.score(makeTx({ amount: 12, attributes: { risk } }), { 'account.count_1h': 2 });
    assert.notEqual(at(0), at(1e6));
  });

  test('a feature config naming an unknown feature: one line naming it, exit 1', () => {
    const bad = join(dir, 'bad-features.json');
    writeFileSync(
      bad,
      JSON.stringify({ format: 'risk-features/1', features: ['attributes.risk', 'colour'] }),
    );
    const r = run(['--data', data, '--mapping', mapping, '--features', bad, '--out', dir]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      /^error: feature config .*bad-features\.json: unknown feature "colour"/m,
    );
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  test('a raw CSV without a mapping: one line pointing at --mapping, exit 1', () => {
    const r = run(['--data', data, '--out', dir]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /not a valid transaction.*needs --mapping FILE/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});
