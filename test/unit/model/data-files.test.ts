import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLabelledCsv } from '../../../load-test/model/numeric-csv.ts';
import { readTransactions } from '../../../load-test/model/transactions-file.ts';
import { modelDir } from '../../helpers/anomaly.ts';

const { dir, remove } = modelDir();
after(remove);
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
  return path;
};

describe('labelled numeric CSV', () => {
  test('reads a gzipped set, leaving the label out of the features', async () => {
    const d = await readLabelledCsv(file('a.csv.gz', 'f0,f1,label\n1,2.5,0\n-3,1e3,1\n'));
    assert.deepEqual(d.names, ['f0', 'f1']);
    assert.equal(d.data.rows, 2);
    assert.deepEqual(Array.from(d.data.values), [1, 2.5, -3, 1000]);
    assert.deepEqual(Array.from(d.labels), [0, 1]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['no label column', 'f0,f1\n1,2\n', /no "label" column/],
    ['a short row', 'f0,f1,label\n1,0\n', /:2: 2 fields, header has 3/],
    ['a word for a number', 'f0,label\nx,0\n', /:2: f0 is not a number: x/],
    ['a label of 2', 'f0,label\n1,2\n', /:2: label must be 0 or 1/],
  ];
  for (const [name, text, message] of bad) {
    test(`refuses ${name}, naming the line`, async () => {
      await assert.rejects(
        readLabelledCsv(file(`${name.replace(/\W+/g, '-')}.csv`, text)),
        message,
      );
    });
  }
});

describe('transaction files', () => {
  test('NDJSON, with labels taken out of the transaction', async () => {
    const rows = await readTransactions(
      file(
        't.ndjson',
        '{"transaction_id":"t1","timestamp":"2024-01-15T10:00:00Z","amount":5,"account_id":"a","is_fraud":1}\n\n' +
          '{"transaction_id":"t2","timestamp":"2024-01-15T10:01:00Z","amount":7,"account_id":"a","label":0}\n',
      ),
    );
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.label, 1);
    assert.equal(rows[0]?.tx.currency, 'USD', 'schema defaults applied');
    assert.equal('is_fraud' in (rows[0]?.tx ?? {}), false);
  });

  test('CSV with quoted fields, attributes and empty cells', async () => {
    const rows = await readTransactions(
      file(
        't.csv.gz',
        'transaction_id,timestamp,amount,account_id,merchant_category,attributes.tier,location\n' +
          't1,2024-01-15T10:00:00Z,12.5,a,"food, drink",3,\n',
      ),
    );
    assert.equal(rows[0]?.tx.amount, 12.5);
    assert.equal(rows[0]?.tx.merchant_category, 'food, drink');
    assert.deepEqual(rows[0]?.tx.attributes, { tier: 3 });
    assert.equal(rows[0]?.tx.location, undefined);
    assert.equal(rows[0]?.label, undefined);
  });

  test('an invalid transaction is refused with its line and field', async () => {
    await assert.rejects(
      readTransactions(file('bad.ndjson', '{"transaction_id":"t","amount":-1}\n')),
      /bad\.ndjson:1: not a valid transaction/,
    );
  });

  test('CSV fields in quotes keep commas, doubled quotes and line breaks', async () => {
    const rows = await readTransactions(
      file(
        'quoted.csv',
        'transaction_id,timestamp,amount,account_id,attributes.note\n' +
          't1,2024-01-15T10:00:00Z,5,a1,"one, ""two""\nthree"\n',
      ),
    );
    assert.equal(rows[0]?.tx.attributes?.note, 'one, "two"\nthree');
    await assert.rejects(
      readTransactions(file('open.csv', 'transaction_id,amount\nt1,"5\n')),
      /quote/i,
    );
  });
});
