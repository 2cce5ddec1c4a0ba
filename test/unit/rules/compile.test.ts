import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesDir } from '../../../src/adapters/file/file-ruleset-source.ts';
import { compileRuleset, RuleEvaluationError } from '../../../src/domain/rules/compile.ts';
import { createJreEvaluator } from '../../../src/domain/rules/jre-evaluator.ts';
import { parseSimplePath } from '../../../src/domain/rules/path.ts';
import type {
  Condition,
  Facts,
  LeafCondition,
  RiskRule,
  TopLevelCondition,
} from '../../../src/domain/rules/types.ts';
import { validateRuleset } from '../../../src/domain/rules/validate.ts';

const leaf = (
  fact: string,
  operator: string,
  value: unknown,
  extra: Partial<LeafCondition> = {},
): LeafCondition => ({ fact, operator, value, ...extra });
const all = (...c: Condition[]): TopLevelCondition => ({ all: c });
const any = (...c: Condition[]): TopLevelCondition => ({ any: c });
const ruleOf = (conditions: TopLevelCondition, name = 'r'): RiskRule => ({
  name,
  conditions,
  event: { type: 'risk', params: { score: 10 } },
});

/** An object whose conversion to a primitive throws, as `{"toString": "x"}` in JSON does. */
const EXOTIC = { toString: 'x' };
const NESTED = { a: { b: 7 }, arr: [10, 20], 'a b': 'spaced', s: 'hello', n: null };

interface Case {
  name: string;
  conditions: TopLevelCondition;
  facts: Facts;
  fires: boolean | 'throws';
}

// Every expectation is also checked against json-rules-engine itself, the reference.
const cases: Case[] = [
  {
    name: 'equal is strict',
    conditions: all(leaf('x', 'equal', 5)),
    facts: { x: '5' },
    fires: false,
  },
  { name: 'equal matches', conditions: all(leaf('x', 'equal', 5)), facts: { x: 5 }, fires: true },
  {
    name: 'a missing fact is undefined: notEqual holds',
    conditions: all(leaf('x', 'notEqual', 5)),
    facts: {},
    fires: true,
  },
  {
    name: 'a missing fact equals undefined',
    conditions: all(leaf('x', 'equal', undefined)),
    facts: {},
    fires: true,
  },
  {
    name: 'numeric validator: null fails although null > -1',
    conditions: all(leaf('x', 'greaterThan', -1)),
    facts: { x: null },
    fires: false,
  },
  {
    name: 'numeric validator: booleans fail',
    conditions: all(leaf('x', 'greaterThan', 0)),
    facts: { x: true },
    fires: false,
  },
  {
    name: 'numeric validator: "12abc" passes, then compares as NaN',
    conditions: all(leaf('x', 'greaterThan', 3)),
    facts: { x: '12abc' },
    fires: false,
  },
  {
    name: 'numeric strings compare as numbers',
    conditions: all(leaf('x', 'greaterThan', 3)),
    facts: { x: '12' },
    fires: true,
  },
  {
    name: 'a one-element array passes the numeric validator',
    conditions: all(leaf('x', 'greaterThanInclusive', 5)),
    facts: { x: [5] },
    fires: true,
  },
  {
    name: 'not:lessThan holds when the validator fails',
    conditions: all(leaf('x', 'not:lessThan', 1)),
    facts: { x: 'abc' },
    fires: true,
  },
  {
    name: 'in with a list',
    conditions: all(leaf('x', 'in', ['US', 'GB'])),
    facts: { x: 'GB' },
    fires: true,
  },
  {
    name: 'notIn holds for a missing fact',
    conditions: all(leaf('x', 'notIn', ['US'])),
    facts: {},
    fires: true,
  },
  {
    name: 'contains needs an array fact',
    conditions: all(leaf('x', 'contains', 'a')),
    facts: { x: 'abc' },
    fires: false,
  },
  {
    name: 'doesNotContain is false for a non-array fact',
    conditions: all(leaf('x', 'doesNotContain', 'a')),
    facts: {},
    fires: false,
  },
  {
    name: 'someFact:equal',
    conditions: all(leaf('x', 'someFact:equal', 2)),
    facts: { x: [1, 2] },
    fires: true,
  },
  {
    name: 'not:someFact:equal on a non-array holds',
    conditions: all(leaf('x', 'not:someFact:equal', 2)),
    facts: { x: 2 },
    fires: true,
  },
  {
    name: 'someFact:not:equal on a non-array fails',
    conditions: all(leaf('x', 'someFact:not:equal', 2)),
    facts: { x: 3 },
    fires: false,
  },
  {
    name: 'everyFact on an empty array holds',
    conditions: all(leaf('x', 'everyFact:greaterThan', 100)),
    facts: { x: [] },
    fires: true,
  },
  {
    name: 'someValue:equal',
    conditions: all(leaf('x', 'someValue:equal', [1, 2])),
    facts: { x: 2 },
    fires: true,
  },
  {
    name: 'everyValue:lessThan',
    conditions: all(leaf('x', 'everyValue:lessThan', [5, 6])),
    facts: { x: 4 },
    fires: true,
  },
  {
    name: 'swap:contains is "value contains fact"',
    conditions: all(leaf('x', 'swap:contains', ['a', 'b'])),
    facts: { x: 'b' },
    fires: true,
  },
  {
    name: 'someValue:in with a list of lists',
    conditions: all(leaf('x', 'someValue:in', [[1], [2, 3]])),
    facts: { x: 3 },
    fires: true,
  },
  {
    name: 'value {fact} compares with another fact',
    conditions: all(leaf('amount', 'greaterThan', { fact: 'limit' })),
    facts: { amount: 10, limit: 5 },
    fires: true,
  },
  {
    name: 'value {fact, path}',
    conditions: all(leaf('amount', 'equal', { fact: 'o', path: '$.a.b' })),
    facts: { amount: 7, o: NESTED },
    fires: true,
  },
  {
    name: 'path $.a.b',
    conditions: all(leaf('o', 'equal', 7, { path: '$.a.b' })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: 'path $.arr[1]',
    conditions: all(leaf('o', 'equal', 20, { path: '$.arr[1]' })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: "path $['a b']",
    conditions: all(leaf('o', 'equal', 'spaced', { path: "$['a b']" })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: 'path into a string: $.s.length',
    conditions: all(leaf('o', 'equal', 5, { path: '$.s.length' })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: 'path through null is undefined',
    conditions: all(leaf('o', 'equal', undefined, { path: '$.n.x' })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: 'path on a primitive fact compares the fact itself',
    conditions: all(leaf('x', 'equal', 5, { path: '$.a' })),
    facts: { x: 5 },
    fires: true,
  },
  {
    name: 'path does not follow inherited properties',
    conditions: all(leaf('o', 'equal', undefined, { path: '$.constructor' })),
    facts: { o: NESTED },
    fires: true,
  },
  {
    name: 'params on a fact are ignored',
    conditions: all(leaf('x', 'equal', 1, { params: { window: '1h' } })),
    facts: { x: 1 },
    fires: true,
  },
  {
    name: 'an inherited name is a missing fact',
    conditions: all(leaf('constructor', 'equal', undefined)),
    facts: {},
    fires: true,
  },
  { name: 'all: [] holds', conditions: all(), facts: {}, fires: true },
  { name: 'any: [] holds too (json-rules-engine 7.3)', conditions: any(), facts: {}, fires: true },
  { name: 'not any: [] fails', conditions: { not: any() }, facts: {}, fires: false },
  {
    name: 'not inverts',
    conditions: { not: leaf('x', 'equal', 1) },
    facts: { x: 2 },
    fires: true,
  },
  {
    name: 'nested any inside all',
    conditions: all(
      leaf('x', 'greaterThan', 0),
      any(leaf('y', 'equal', 'a'), leaf('y', 'equal', 'b')),
    ),
    facts: { x: 1, y: 'b' },
    fires: true,
  },
  {
    name: 'an operator that throws fails the evaluation',
    conditions: all(leaf('x', 'greaterThan', 1)),
    facts: { x: EXOTIC },
    fires: 'throws',
  },
  {
    name: 'a condition of the same priority set runs even after a false one',
    conditions: all(leaf('y', 'equal', 1), leaf('x', 'greaterThan', 1)),
    facts: { y: 2, x: EXOTIC },
    fires: 'throws',
  },
  {
    name: 'a lower priority set is skipped once all is false',
    conditions: all(leaf('y', 'equal', 1, { priority: 2 }), leaf('x', 'greaterThan', 1)),
    facts: { y: 2, x: EXOTIC },
    fires: false,
  },
  {
    name: 'a lower priority set is skipped once any is true',
    conditions: any(leaf('y', 'equal', 2, { priority: 3 }), leaf('x', 'greaterThan', 1)),
    facts: { y: 2, x: EXOTIC },
    fires: true,
  },
  {
    name: 'a higher priority set runs first even when listed last',
    conditions: any(leaf('x', 'greaterThan', 1), leaf('y', 'equal', 2, { priority: 2 })),
    facts: { y: 3, x: EXOTIC },
    fires: 'throws',
  },
];

describe('compileRuleset: conditions as json-rules-engine evaluates them', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const rules = [ruleOf(c.conditions)];
      const compiled = compileRuleset(rules, 'v');
      const reference = createJreEvaluator(rules, 'v');
      if (c.fires === 'throws') {
        assert.throws(() => compiled.evaluate(c.facts), RuleEvaluationError);
        await assert.rejects(async () => reference.evaluate(c.facts));
        return;
      }
      const fired = compiled.evaluate(c.facts);
      assert.equal(fired.length === 1, c.fires);
      assert.deepStrictEqual(fired, await reference.evaluate(c.facts));
    });
  }
});

describe('compileRuleset: fired rules', () => {
  test('ordered by priority descending, then ruleset position, with event params', () => {
    const yes = all(leaf('x', 'equal', 1));
    const rules: RiskRule[] = [
      { name: 'low-a', conditions: yes, event: { type: 'risk' } },
      {
        name: 'high',
        priority: 5,
        conditions: yes,
        event: { type: 'risk', params: { score: 40, action: 'review', description: 'd' } },
      },
      {
        name: 'not-fired',
        priority: 9,
        conditions: all(leaf('x', 'equal', 2)),
        event: { type: 'risk' },
      },
      {
        name: 'low-b',
        priority: 1,
        conditions: yes,
        event: { type: 'risk', params: { score: 3 } },
      },
    ];
    assert.deepStrictEqual(compileRuleset(rules, 'v').evaluate({ x: 1 }), [
      { rule: 'high', score: 40, action: 'review', description: 'd' },
      { rule: 'low-a', score: 0 },
      { rule: 'low-b', score: 3 },
    ]);
  });

  test('is synchronous and reports version and rule count', () => {
    const compiled = compileRuleset([ruleOf(all())], 'sha256:abc');
    assert.equal(compiled.version, 'sha256:abc');
    assert.equal(compiled.ruleCount, 1);
    assert.ok(Array.isArray(compiled.evaluate({})));
  });

  test('a throwing rule is named in the error', () => {
    const compiled = compileRuleset([ruleOf(all(leaf('x', 'lessThan', 1)), 'bad-rule')], 'v');
    assert.throws(() => compiled.evaluate({ x: EXOTIC }), /rule "bad-rule" could not be evaluated/);
  });

  test('the default ruleset in rules/ compiles and agrees with json-rules-engine', async () => {
    const { rules } = loadRulesDir('rules');
    const compiled = compileRuleset(rules, 'v');
    const reference = createJreEvaluator(rules, 'v');
    const factsList: Facts[] = [
      {},
      { amount: 20000, location: 'KP', 'attributes.deny_listed': true, anomaly_score: 0.9 },
      { amount: 300, 'account.count_1m': 7, 'account.seconds_since_last': 1, location: 'US' },
      { 'attributes.allow_listed': true, 'card.amount_1h': 6000, 'ip.distinct_accounts_1h': 9 },
    ];
    for (const facts of factsList)
      assert.deepStrictEqual(compiled.evaluate(facts), await reference.evaluate(facts));
  });
});

describe('compileRuleset: explain', () => {
  test('gives each fired rule its condition tree with the values compared', () => {
    const rules: RiskRule[] = [
      {
        name: 'big-and-foreign',
        priority: 2,
        conditions: all(
          leaf('amount', 'greaterThan', { fact: 'limits', path: '$.daily' }),
          { not: leaf('country', 'in', ['US', 'CA']) },
          any(leaf('o', 'equal', 7, { path: '$.a.b' }), leaf('missing', 'equal', 1)),
        ),
        event: { type: 'risk', params: { score: 50, action: 'review' } },
      },
      ruleOf(all(leaf('amount', 'lessThan', 0)), 'negative'),
    ];
    const facts = { amount: 900, limits: { daily: 500 }, country: 'FR', o: NESTED };
    assert.deepStrictEqual(compileRuleset(rules, 'v').explain(facts), [
      {
        rule: 'big-and-foreign',
        score: 50,
        action: 'review',
        conditions: {
          all: [
            { fact: 'amount', operator: 'greaterThan', value: 500, factValue: 900, result: true },
            {
              not: {
                fact: 'country',
                operator: 'in',
                value: ['US', 'CA'],
                factValue: 'FR',
                result: false,
              },
              result: true,
            },
            {
              any: [
                {
                  fact: 'o',
                  operator: 'equal',
                  value: 7,
                  factValue: 7,
                  result: true,
                  path: '$.a.b',
                },
                {
                  fact: 'missing',
                  operator: 'equal',
                  value: 1,
                  factValue: undefined,
                  result: false,
                },
              ],
              result: true,
            },
          ],
          result: true,
        },
      },
    ]);
  });

  test('a node the engine would skip is still explained, with its error', () => {
    const rules = [
      ruleOf(any(leaf('y', 'equal', 2, { priority: 2 }), leaf('x', 'greaterThan', 1)), 'skips'),
    ];
    const [explained] = compileRuleset(rules, 'v').explain({ y: 2, x: EXOTIC });
    assert.ok(explained !== undefined && 'any' in explained.conditions);
    const skipped = explained.conditions.any[1];
    assert.ok(skipped !== undefined && 'error' in skipped);
    assert.equal(skipped.result, false);
    assert.match(skipped.error ?? '', /primitive/);
  });

  test('explain fires the same rules as evaluate', () => {
    const rules = [ruleOf(all(leaf('x', 'equal', 1)), 'a'), ruleOf(any(), 'b')];
    const compiled = compileRuleset(rules, 'v');
    for (const facts of [{}, { x: 1 }]) {
      const explained = compiled.explain(facts).map(({ conditions: _c, ...fired }) => fired);
      assert.deepStrictEqual(explained, compiled.evaluate(facts));
    }
  });
});

describe('compileRuleset: refuses what it cannot compile', () => {
  const refused: Array<[string, RiskRule[], RegExp]> = [
    ['a wildcard path', [ruleOf(all(leaf('o', 'equal', 1, { path: '$.*' })))], /unsupported path/],
    [
      'a filter path',
      [ruleOf(all(leaf('o', 'equal', 1, { path: '$[?(@.a)]' })))],
      /unsupported path/,
    ],
    [
      'a complex path on a fact reference',
      [ruleOf(all(leaf('o', 'equal', { fact: 'p', path: '$..a' })))],
      /value\.path: unsupported path/,
    ],
    ['an unknown operator', [ruleOf(all(leaf('o', 'like', 1)))], /unknown operator "like"/],
    [
      'a shared condition reference',
      [ruleOf({ condition: 'shared' } as unknown as TopLevelCondition)],
      /root must be/,
    ],
    [
      'a fractional condition priority',
      [ruleOf(all(leaf('o', 'equal', 1, { priority: 1.5 })))],
      /priority: must be an integer/,
    ],
    ['duplicate names', [ruleOf(all()), ruleOf(any())], /duplicate rule name "r"/],
  ];
  for (const [name, rules, message] of refused) {
    test(name, () => assert.throws(() => compileRuleset(rules, 'v'), message));
  }
});

describe('validateRuleset: refuses rules json-rules-engine would throw on', () => {
  const refused: Array<[string, Condition, RegExp]> = [
    ['in with a non-array value', leaf('x', 'in', 'US'), /"in" needs an array value/],
    [
      'someValue with a non-array value',
      leaf('x', 'someValue:equal', 5),
      /"someValue" needs an array/,
    ],
    [
      'in against a fact reference',
      leaf('x', 'in', { fact: 'list' }),
      /takes its list from a fact/,
    ],
    ['swap:in', leaf('x', 'swap:in', ['a']), /takes its list from a fact/],
    ['a complex path', leaf('x', 'equal', 1, { path: '$..a' }), /unsupported path/],
    ['a fact reference without a name', leaf('x', 'equal', { fact: 5 }), /value\.fact/],
    ['a fractional condition priority', leaf('x', 'equal', 1, { priority: 2.5 }), /integer/],
  ];
  for (const [name, condition, message] of refused) {
    test(name, () => {
      const res = validateRuleset([ruleOf(all(condition))]);
      assert.equal(res.ok, false);
      if (!res.ok)
        assert.ok(
          res.errors.some((e) => message.test(e.message)),
          JSON.stringify(res.errors),
        );
    });
  }

  test('accepts lists where the operators need them', () => {
    const res = validateRuleset([
      ruleOf(
        all(
          leaf('x', 'someValue:in', [['a'], ['b']]),
          leaf('x', 'swap:contains', ['a']),
          leaf('x', 'someFact:in', ['a']),
          leaf('o', 'equal', { fact: 'p', path: "$['a b'][0]" }, { path: '$.a.b', priority: 2 }),
        ),
      ),
    ]);
    assert.ok(res.ok, JSON.stringify(res));
  });
});

describe('parseSimplePath', () => {
  const table: Array<[string, string[] | undefined]> = [
    ['$', []],
    ['$.a.b', ['a', 'b']],
    ['$.a[0]', ['a', '0']],
    ["$['a b'].c", ['a b', 'c']],
    ["$['a.b']", ['a.b']],
    ['$.*', undefined],
    ['$..a', undefined],
    ['$.a[0:2]', undefined],
    ['$.a[-1]', undefined],
    ['$[?(@.a)]', undefined],
    ["$['a','b']", undefined],
    ['$.a.`b', undefined],
    ['a.b', undefined],
  ];
  for (const [path, keys] of table) {
    test(path, () => assert.deepStrictEqual(parseSimplePath(path), keys));
  }
});
