import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RULESET_POLICY, buildFacts } from '../../../src/domain/facts.ts';
import { compileRuleset } from '../../../src/domain/rules/compile.ts';
import { createJreEvaluator } from '../../../src/domain/rules/jre-evaluator.ts';
import type { RiskRule } from '../../../src/domain/rules/types.ts';
import { validateRuleset } from '../../../src/domain/rules/validate.ts';
import type { Transaction } from '../../../src/domain/transaction.ts';

const tx: Transaction = {
  transaction_id: 'proto-1',
  timestamp: '2024-01-15T10:00:00Z',
  amount: 10,
  currency: 'USD',
  account_id: 'proto-acct',
};

function rule(conditions: unknown, name = 'r'): unknown {
  return { name, conditions, event: { type: 'risk', params: { score: 10 } } };
}

function problems(rules: unknown[]): string[] {
  const v = validateRuleset(rules, RULESET_POLICY);
  return v.ok ? [] : v.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('facts that name prototype members', () => {
  const names = [
    'attributes.toString',
    'attributes.constructor',
    'attributes.__proto__',
    'attributes.hasOwnProperty',
    'toString',
    '__proto__',
  ];
  for (const fact of names) {
    test(`validation refuses fact "${fact}"`, () => {
      const p = problems([rule({ all: [{ fact, operator: 'notEqual', value: null }] })]);
      assert.ok(
        p.some((m) => m.includes('conditions.all[0].fact')),
        JSON.stringify(p),
      );
    });
  }
  test('validation refuses one as a compared fact (value.fact)', () => {
    const p = problems([
      rule({
        all: [{ fact: 'amount', operator: 'equal', value: { fact: 'attributes.valueOf' } }],
      }),
    ]);
    assert.ok(
      p.some((m) => m.includes('value.fact') && m.includes('inherits')),
      JSON.stringify(p),
    );
  });
  test('an ordinary attribute fact is still accepted', () => {
    assert.deepEqual(
      problems([rule({ all: [{ fact: 'attributes.vip', operator: 'equal', value: true }] })]),
      [],
    );
  });

  // Built without validation: both evaluators must read own facts only, never the inherited
  // `constructor` (whose `name` is "Object").
  const inherited = [
    rule({ all: [{ fact: 'constructor', path: '$.name', operator: 'equal', value: 'Object' }] }),
    rule(
      {
        all: [
          { fact: 'attributes', path: '$.constructor.name', operator: 'equal', value: 'Object' },
        ],
      },
      'r2',
    ),
  ] as RiskRule[];
  test('the compiled evaluator and json-rules-engine resolve own facts only', async () => {
    for (const attributes of [undefined, { vip: true }]) {
      const facts = buildFacts({ ...tx, ...(attributes && { attributes }) }, {}, null);
      assert.ok(!('toString' in facts), 'the facts inherit nothing');
      assert.deepEqual(compileRuleset(inherited, '1').evaluate(facts), []);
      assert.deepEqual(await createJreEvaluator(inherited, '1').evaluate(facts), []);
      const plain: Record<string, unknown> = Object.assign({}, facts);
      assert.deepEqual(compileRuleset(inherited, '1').evaluate(plain), []);
      assert.deepEqual(await createJreEvaluator(inherited, '1').evaluate(plain), []);
    }
  });
});

describe('empty condition groups', () => {
  for (const kind of ['all', 'any'] as const) {
    test(`validation refuses "${kind}": []`, () => {
      const p = problems([rule({ [kind]: [] })]);
      assert.ok(
        p.some((m) => m.includes(`conditions.${kind}`) && m.includes('at least one')),
        JSON.stringify(p),
      );
    });
    test(`validation refuses a nested "${kind}": []`, () => {
      const p = problems([
        rule({ all: [{ fact: 'amount', operator: 'greaterThan', value: 1 }, { [kind]: [] }] }),
      ]);
      assert.ok(
        p.some((m) => m.includes(`conditions.all[1].${kind}`)),
        JSON.stringify(p),
      );
    });
  }
});
