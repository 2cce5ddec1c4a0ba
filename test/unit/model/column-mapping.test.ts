import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadColumnMapping,
  readMappedTransactions,
} from '../../../load-test/model/column-mapping.ts';
import { loadFeatureConfig } from '../../../load-test/model/feature-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'risk-columns-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(name: string, text: string): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, text);
  return p;
}
const mapping = (over: Record<string, unknown> = {}): string =>
  file(
    'mapping.json',
    JSON.stringify({
      format: 'risk-columns/1',
      id_prefix: 'p-',
      timestamp: { column: 'step', unit: 'hours', origin: '2026-02-02T00:00:00Z', spread: true },
      fields: { amount: 'amt', account_id: 'payer', merchant_id: 'payee' },
      attributes: { type: 'type', before: 'bal' },
      label: 'isFraud',
      ...over,
    }),
  );
const CSV =
  'step,type,amt,payer,payee,bal,isFraud\n2,CASH_OUT,5,a,m,1.5E2,1\n1,PAYMENT,7,b,m,,0\n1,PAYMENT,9,a,m,3,0\n';

describe('column mappings', { timeout: 60_000 }, () => {
  test('a CSV becomes transactions in time order, rows of one hour spread over it', async () => {
    const txs = await readMappedTransactions(file('d.csv', CSV), loadColumnMapping(mapping()));
    assert.deepEqual(
      txs.map((t) => [t.tx.transaction_id, t.tx.timestamp, t.tx.amount, t.label]),
      [
        ['p-1', '2026-02-02T01:00:00.000Z', 7, 0],
        ['p-2', '2026-02-02T01:30:00.000Z', 9, 0],
        ['p-0', '2026-02-02T02:00:00.000Z', 5, 1],
      ],
    );
    assert.deepEqual(txs[2]!.tx.attributes, { type: 'CASH_OUT', before: 150 });
    assert.deepEqual(txs[0]!.tx.attributes, { type: 'PAYMENT' }, 'an empty cell is no attribute');
    assert.equal(txs[0]!.tx.merchant_id, 'm');
  });

  test('NDJSON works the same, keys as columns', async () => {
    const nd = file(
      'd.ndjson',
      '{"step":3,"type":"T","amt":1,"payer":"a","payee":"m","bal":2,"isFraud":0}\n',
    );
    const txs = await readMappedTransactions(nd, loadColumnMapping(mapping()));
    assert.equal(txs[0]!.tx.timestamp, '2026-02-02T03:00:00.000Z');
    assert.deepEqual(txs[0]!.tx.attributes, { type: 'T', before: 2 });
  });

  test('a constant account for a file that names none (ULB)', async () => {
    const m = mapping({ fields: { amount: 'amt' }, constants: { account_id: 'all' } });
    const txs = await readMappedTransactions(file('d.csv', CSV), loadColumnMapping(m));
    assert.ok(txs.every((t) => t.tx.account_id === 'all'));
  });

  const bad: Array<[string, () => Promise<unknown>, RegExp]> = [
    [
      'a column the file lacks',
      () => readMappedTransactions(file('d.csv', 'step,amt\n1,2\n'), loadColumnMapping(mapping())),
      /d\.csv:2: no column "payer", "payee", "type", "bal", "isFraud" \(the mapping names it; the file has step, amt\)/,
    ],
    [
      'a cell that is no number',
      () =>
        readMappedTransactions(
          file('d.csv', CSV.replace(',5,', ',five,')),
          loadColumnMapping(mapping()),
        ),
      /d\.csv:2: column amt is not a number: "five"/,
    ],
    [
      'a label that is not 0 or 1',
      () =>
        readMappedTransactions(
          file('d.csv', CSV.replace(',1\n', ',yes\n')),
          loadColumnMapping(mapping()),
        ),
      /label column isFraud must be 0 or 1, got "yes"/,
    ],
    [
      'a row with too few fields',
      () => readMappedTransactions(file('d.csv', `${CSV}1,2\n`), loadColumnMapping(mapping())),
      /d\.csv:5: 2 fields, the header has 7/,
    ],
    [
      'a transaction the service would refuse',
      () =>
        readMappedTransactions(
          file('d.csv', CSV.replace(',5,', ',-5,')),
          loadColumnMapping(mapping()),
        ),
      /not a valid transaction: \/amount/,
    ],
    [
      'a mapping without amount',
      () =>
        Promise.resolve().then(() =>
          loadColumnMapping(mapping({ fields: { account_id: 'payer' } })),
        ),
      /column mapping .*: fields: amount: a column is required/,
    ],
    [
      'a mapping without origin for hours',
      () =>
        Promise.resolve().then(() =>
          loadColumnMapping(mapping({ timestamp: { column: 'step', unit: 'hours' } })),
        ),
      /timestamp\.origin is required for unit hours/,
    ],
    [
      'a mapping that is not JSON',
      () => Promise.resolve().then(() => loadColumnMapping(file('m.json', '{'))),
      /column mapping .*m\.json: not valid JSON$/,
    ],
  ];
  for (const [what, run, expected] of bad) {
    test(`one clear line: ${what}`, async () => {
      await assert.rejects(run(), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, expected);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }

  test('the shipped mappings and feature configs load', () => {
    for (const m of ['paysim', 'ulb']) loadColumnMapping(`load-test/model/mappings/${m}.json`);
    for (const f of ['default', 'paysim', 'ulb']) loadFeatureConfig(`models/features/${f}.json`);
  });

  test('a feature config naming an unknown feature is refused naming it', () => {
    const p = file(
      'f.json',
      JSON.stringify({ format: 'risk-features/1', features: ['amount', 'colour'] }),
    );
    assert.throws(() => loadFeatureConfig(p), /feature config .*: unknown feature "colour"/);
    const q = file(
      'f.json',
      JSON.stringify({ format: 'risk-features/1', features: ['amount', 'amount'] }),
    );
    assert.throws(() => loadFeatureConfig(q), /"amount" appears twice/);
  });
});
