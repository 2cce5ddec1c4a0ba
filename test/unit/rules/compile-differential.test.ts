import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileRuleset } from '../../../src/domain/rules/compile.ts';
import { createJreEvaluator } from '../../../src/domain/rules/jre-evaluator.ts';
import { BUILTIN_OPERATORS, OPERATOR_DECORATORS } from '../../../src/domain/rules/operators.ts';
import type {
  Condition,
  Facts,
  FiredRule,
  LeafCondition,
  RiskRule,
  TopLevelCondition,
} from '../../../src/domain/rules/types.ts';
import { validateRuleset } from '../../../src/domain/rules/validate.ts';

/*
 * Differential test: generated rulesets and facts go through json-rules-engine (the reference)
 * and the compiled evaluator, which must fire the same rules in the same order, or both fail.
 * Rules are generated without the validator, so the compiled evaluator is also held to the
 * engine on rules the validator refuses (lists taken from facts, `swap:in`, ...).
 */

// A small pool of names so that conditions hit facts that exist; `constructor` and `__proto__`
// check that inherited names of a plain object do not count as facts.
const factName = fc.oneof(
  { arbitrary: fc.constantFrom('a', 'b', 'c', 'o', 'list'), weight: 40 },
  // Validation refuses these names now; rare enough that most rulesets still validate.
  { arbitrary: fc.constantFrom('constructor', '__proto__'), weight: 1 },
);

const scalar = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 2, 2.5, 5, 10, -3.5, Number.NaN, Number.POSITIVE_INFINITY),
  fc.constantFrom('0', '1', '2', '10', '-1', '2.5abc', 'abc', '', ' ', 'a', 'hello'),
  fc.boolean(),
  fc.constantFrom(null, undefined),
);

const list = fc.array(scalar, { maxLength: 3 });
const text = fc.constantFrom('', 'a', 'hello', '2.5abc', '10');
// Objects for paths to walk: every key optional, each with the kind of value its paths expect
// most of the time (`$.x.y`, `$.arr[1]`, `$.s.length`, `$['a b']`, ...).
const object = fc.letrec<{ obj: Record<string, unknown> }>((tie) => ({
  obj: fc
    .record(
      {
        x: fc.oneof({ depthSize: 'small' }, tie('obj'), scalar),
        y: scalar,
        'a b': scalar,
        'a.b': scalar,
        arr: fc.oneof(list, fc.array(list, { maxLength: 2 })),
        s: fc.oneof(text, scalar),
        '0': scalar,
      },
      { requiredKeys: [] },
    )
    // fast-check builds these without a prototype; facts parsed from JSON have one.
    .map((o) => ({ ...o })),
})).obj;
// Converting it to a primitive throws, so numeric operators throw on it in both engines.
const exotic = fc.constant({ toString: 'x' });

const factValue = fc.oneof(
  { arbitrary: scalar, weight: 12 },
  { arbitrary: list, weight: 4 },
  { arbitrary: fc.array(list, { maxLength: 2 }), weight: 2 },
  { arbitrary: object, weight: 6 },
  { arbitrary: exotic, weight: 1 },
);

// Object.fromEntries defines `__proto__` as an own property, as JSON.parse does.
const facts: fc.Arbitrary<Facts> = fc
  .array(fc.tuple(factName, factValue), { maxLength: 6 })
  .map((entries) => Object.fromEntries(entries));

const PATHS = [
  '$',
  '$.x',
  '$.x.y',
  '$.y',
  "$['a b']",
  "$['a.b']",
  '$.arr[0]',
  '$.arr[1]',
  '$.arr[0][1]',
  '$.s.length',
  '$.s[0]',
  '$.arr.length',
  '$.0',
  "$['x']['y']",
  '$.x.arr[0]',
  '$.missing',
  '$.constructor',
] as const;
const path = fc.constantFrom(...PATHS);

const factReference = fc.record(
  { fact: factName, path, params: fc.constant({ p: 1 }) },
  { requiredKeys: ['fact'] },
);
const compareValue = fc.oneof(
  { arbitrary: scalar, weight: 6 },
  { arbitrary: list, weight: 3 },
  { arbitrary: fc.array(list, { maxLength: 2 }), weight: 1 },
  { arbitrary: factReference, weight: 2 },
  { arbitrary: object, weight: 1 },
);
// Operators that call a list method on the compare value (`in`, `someValue`, ...) mostly get
// lists nested as deep as they need, so that a ruleset of 12 rules does not nearly always throw.
const lists = (depth: number): fc.Arbitrary<unknown> =>
  depth === 0 ? scalar : fc.array(lists(depth - 1), { maxLength: 3 });
const listSteps = (op: string): number =>
  op.split(':').filter((p) => ['in', 'notIn', 'someValue', 'everyValue'].includes(p)).length;
const valueFor = (op: string): fc.Arbitrary<unknown> =>
  listSteps(op) === 0
    ? compareValue
    : fc.oneof(
        { arbitrary: lists(listSteps(op)), weight: 12 },
        { arbitrary: compareValue, weight: 1 },
      );

// `swap` moves the fact to where lists are expected, which mostly throws: it comes up less.
const decorator = fc.oneof(
  { arbitrary: fc.constantFrom(...OPERATOR_DECORATORS.filter((d) => d !== 'swap')), weight: 5 },
  { arbitrary: fc.constant('swap'), weight: 1 },
);
const operator = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.constant<string[]>([]), weight: 3 },
      { arbitrary: fc.array(decorator, { maxLength: 2 }), weight: 2 },
    ),
    fc.constantFrom(...BUILTIN_OPERATORS),
  )
  .map(([decorators, base]) => [...decorators, base].join(':'));

const priority = fc.integer({ min: 1, max: 3 });

const leaf: fc.Arbitrary<LeafCondition> = operator.chain((op) =>
  fc.record(
    {
      fact: factName,
      operator: fc.constant(op),
      value: valueFor(op),
      path,
      priority,
      params: fc.constant({ ignored: true }),
    },
    { requiredKeys: ['fact', 'operator', 'value'] },
  ),
);

function group(child: fc.Arbitrary<Condition>): fc.Arbitrary<TopLevelCondition> {
  // Empty groups are refused by validation now, so they come up rarely: the evaluators must
  // still agree on them, but most rulesets should validate.
  const children = fc.oneof(
    { arbitrary: fc.array(child, { minLength: 1, maxLength: 3 }), weight: 199 },
    { arbitrary: fc.constant<Condition[]>([]), weight: 1 },
  );
  return fc.oneof(
    fc.record({ all: children, priority }, { requiredKeys: ['all'] }),
    fc.record({ any: children, priority }, { requiredKeys: ['any'] }),
    fc.record({ not: child, priority }, { requiredKeys: ['not'] }),
  );
}

/** Conditions nested up to `depth` boolean levels below the root. */
function condition(depth: number): fc.Arbitrary<Condition> {
  if (depth === 0) return leaf;
  return fc.oneof(
    { arbitrary: leaf, weight: 3 },
    { arbitrary: group(condition(depth - 1)), weight: 2 },
  );
}

const ruleBody = fc.record(
  {
    priority: fc.integer({ min: 1, max: 5 }),
    conditions: group(condition(2)),
    event: fc.record({
      type: fc.constant('risk' as const),
      params: fc.record(
        {
          score: fc.integer({ min: 0, max: 100 }),
          action: fc.constantFrom('approve' as const, 'review' as const, 'decline' as const),
          description: fc.constantFrom('d1', 'd2'),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  { requiredKeys: ['conditions', 'event'] },
);

const ruleset: fc.Arbitrary<RiskRule[]> = fc
  .array(ruleBody, { minLength: 1, maxLength: 12 })
  .map((bodies) => bodies.map((body, i) => ({ name: `r${i}`, ...body })));

type Outcome = { fired: readonly FiredRule[] } | { threw: true };

async function outcome(run: () => readonly FiredRule[] | Promise<readonly FiredRule[]>) {
  try {
    return { fired: await run() } as Outcome;
  } catch {
    return { threw: true } as Outcome;
  }
}

const hasExotic = (f: Facts): boolean =>
  Object.values(f).some((v) => v !== null && typeof v === 'object' && Object.hasOwn(v, 'toString'));

test('the compiled evaluator fires exactly what json-rules-engine fires', async (t) => {
  const seen = { evaluations: 0, fired: 0, threw: 0, validated: 0 };
  await fc.assert(
    fc.asyncProperty(
      ruleset,
      fc.array(facts, { minLength: 1, maxLength: 4 }),
      async (rules, factsList) => {
        const compiled = compileRuleset(rules, 'v');
        const valid = validateRuleset(rules).ok;
        for (const f of factsList) {
          // A fresh engine per run: after a rejected run, json-rules-engine keeps evaluating the
          // remaining priority sets and then marks the engine FINISHED, which would cut short the
          // next run on the same engine.
          const reference = createJreEvaluator(rules, 'v');
          const expected = await outcome(() => reference.evaluate(f));
          const actual = await outcome(() => compiled.evaluate(f));
          assert.deepStrictEqual(actual, expected);
          seen.evaluations++;
          if ('threw' in expected) {
            seen.threw++;
            // The validator refuses every rule that can throw on facts without such objects.
            assert.ok(!valid || hasExotic(f), 'a validated ruleset threw');
          } else {
            if (expected.fired.length > 0) seen.fired++;
            // explain fires the same rules, and every explained root holds.
            const explained = compiled.explain(f);
            assert.deepStrictEqual(
              explained.map(({ conditions: _c, ...fired }) => fired),
              expected.fired,
            );
            assert.ok(explained.every((e) => e.conditions.result));
          }
          if (valid) seen.validated++;
        }
      },
    ),
    { seed: 20240115, numRuns: 800 },
  );
  // The generators must exercise every outcome, or the comparison proves little.
  t.diagnostic(`outcomes: ${JSON.stringify(seen)}`);
  assert.ok(seen.evaluations >= 600, JSON.stringify(seen));
  assert.ok(seen.fired > seen.evaluations * 0.5, `too few fired: ${JSON.stringify(seen)}`);
  assert.ok(seen.threw > 0 && seen.threw < seen.evaluations * 0.3, JSON.stringify(seen));
  assert.ok(seen.validated > seen.evaluations * 0.4, JSON.stringify(seen));
});
