// The console's pure helpers, in Node: where a validation problem's JSON pointer lands in the
// editor's text, the rule-by-rule diff of two versions, and reading an uploaded file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLanguage } from '@codemirror/lang-json';
import { locatePointer, pointerSegments } from '../../../src/console/lib/json-locate.ts';
import { diffRulesets } from '../../../src/console/lib/rules-diff.ts';
import { parseTransactionsFile } from '../../../src/console/lib/transactions-file.ts';

const rule = (name: string, score: number, fact = 'amount') => ({
  name,
  conditions: { all: [{ fact, operator: 'greaterThan', value: 10 }] },
  event: { type: 'risk', params: { score } },
});

test('locatePointer: a validation pointer lands on its member, or the nearest node that exists', () => {
  const text = JSON.stringify([rule('a', 1), rule('b/c', 2, 'amont')], null, 2);
  const tree = jsonLanguage.parser.parse(text);
  const at = (pointer: string) => {
    const hit = locatePointer(tree, text, pointerSegments(pointer));
    return hit === null ? null : { text: text.slice(hit.from, hit.to), exact: hit.exact };
  };
  const cases: Array<[string, string, boolean]> = [
    ['/1/conditions/all/0/fact', '"fact": "amont"', true],
    ['/1/name', '"name": "b/c"', true],
    ['/0/event/params/score', '"score": 1', true],
    // Missing below an existing node: the node that lacks it.
    ['/1/event/params/action', '"params": {\n        "score": 2\n      }', false],
    ['/7', text, false],
  ];
  for (const [pointer, expected, exact] of cases)
    assert.deepEqual(at(pointer), { text: expected, exact }, pointer);
  assert.deepEqual(pointerSegments('/a~1b/c~0d'), ['a/b', 'c~d']);
});

test('diffRulesets: added, removed and changed by name; key order does not count', () => {
  const before = [rule('same', 1), rule('changed', 1), rule('gone', 1)];
  const { name, conditions } = rule('same', 1);
  const reordered = { event: { params: { score: 1 }, type: 'risk' }, conditions, name };
  const after = [reordered, rule('changed', 2), rule('new', 3)];
  const { changes, unchanged } = diffRulesets(before, after);
  assert.equal(unchanged, 1);
  assert.deepEqual(
    changes.map((c) => `${c.kind} ${c.name}`),
    ['changed changed', 'added new', 'removed gone'],
  );
});

test('parseTransactionsFile: NDJSON, and CSV with quotes, numbers, attributes and empty cells', () => {
  const ndjson = '{"transaction_id":"t1","amount":5}\n\n{"transaction_id":"t2","amount":6}\n';
  assert.deepEqual(
    parseTransactionsFile('x.ndjson', ndjson).map((t) => t.transaction_id),
    ['t1', 't2'],
  );
  const csv =
    'transaction_id,amount,account_id,merchant_category,attributes.note\n' +
    't1,12.5,"acct, 1",,"say ""hi"""\n' +
    't2,7,a2,5411,\n';
  assert.deepEqual(parseTransactionsFile('x.csv', csv), [
    { transaction_id: 't1', amount: 12.5, account_id: 'acct, 1', attributes: { note: 'say "hi"' } },
    { transaction_id: 't2', amount: 7, account_id: 'a2', merchant_category: '5411' },
  ]);
  assert.throws(() => parseTransactionsFile('x.csv', 'a,b\n1\n'), /line 2: 1 fields/);
  assert.throws(() => parseTransactionsFile('x.ndjson', '{"a":1}\n{oops'), /line 2: not JSON/);
});
