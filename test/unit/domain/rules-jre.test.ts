import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRulesDir } from '../../../src/adapters/file/file-ruleset-source.ts';
import { createJreEvaluator } from '../../../src/domain/rules/jre-evaluator.ts';
import type { Facts, RiskRule } from '../../../src/domain/rules/types.ts';
import { validateRuleset } from '../../../src/domain/rules/validate.ts';

const rule = (name: string, priority: number, fact: string, score: number): RiskRule => ({
  name,
  priority,
  conditions: { all: [{ fact, operator: 'greaterThan', value: 0 }] },
  event: { type: 'risk', params: { score } },
});

describe('json-rules-engine evaluator', () => {
  test('concurrent runs give the same results as sequential runs', async () => {
    // Three priority levels: with one shared Engine, the first run to finish marks it FINISHED
    // and overlapping runs skip their lower-priority rules.
    const rules = [
      rule('p3', 3, 'a', 1),
      rule('p2', 2, 'b', 2),
      rule('p1', 1, 'c', 3),
      rule('p1b', 1, 'a', 4),
    ];
    const ev = createJreEvaluator(rules, 'v1');
    const factsList: Facts[] = Array.from({ length: 200 }, (_, i) => ({
      a: i % 2,
      b: i % 3,
      c: i % 5,
    }));
    const sequential = [];
    for (const f of factsList) sequential.push(await ev.evaluate(f));
    // Runs that start together progress in lockstep and never see the race; staggered starts,
    // as with real requests, do (174 of 200 runs differed with one shared Engine).
    const pending = [];
    for (const [i, f] of factsList.entries()) {
      pending.push(ev.evaluate(f));
      for (let k = 0; k <= i % 3; k++) await Promise.resolve();
    }
    const concurrent = await Promise.all(pending);
    assert.deepEqual(concurrent, sequential);
    assert.ok(
      sequential.some((s) => s.length === 4),
      'some runs fire rules of every priority',
    );
  });

  test('reasons are ordered by priority, then by position in the ruleset', async () => {
    const rules = [
      rule('low-first', 1, 'a', 1),
      rule('high', 5, 'a', 1),
      rule('low-second', 1, 'a', 1),
    ];
    const fired = await createJreEvaluator(rules, 'v').evaluate({ a: 1 });
    assert.deepEqual(
      fired.map((f) => f.rule),
      ['high', 'low-first', 'low-second'],
    );
  });

  test('a missing fact does not fire and does not throw', async () => {
    const fired = await createJreEvaluator([rule('r', 1, 'absent', 1)], 'v').evaluate({});
    assert.deepEqual(fired, []);
  });
});

describe('ruleset validation', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an array', {}, /array/],
    ['no name', [{ conditions: { all: [] }, event: { type: 'risk' } }], /name/],
    ['bad root', [{ name: 'x', conditions: { fact: 'a' }, event: { type: 'risk' } }], /root/],
    [
      'unknown operator',
      [
        {
          name: 'x',
          conditions: { all: [{ fact: 'a', operator: 'like', value: 1 }] },
          event: { type: 'risk' },
        },
      ],
      /unknown operator "like"/,
    ],
    [
      'wrong event type',
      [{ name: 'x', conditions: { all: [] }, event: { type: 'alert' } }],
      /event.type/,
    ],
    [
      'bad action',
      [
        {
          name: 'x',
          conditions: { all: [] },
          event: { type: 'risk', params: { action: 'block' } },
        },
      ],
      /action/,
    ],
    [
      'priority 0',
      [{ name: 'x', priority: 0, conditions: { all: [] }, event: { type: 'risk' } }],
      /priority/,
    ],
    [
      'duplicate names',
      [
        { name: 'x', conditions: { all: [] }, event: { type: 'risk' } },
        { name: 'x', conditions: { any: [] }, event: { type: 'risk' } },
      ],
      /duplicate/,
    ],
  ];
  for (const [name, input, message] of bad) {
    test(`refuses: ${name}`, () => {
      const res = validateRuleset(input);
      assert.equal(res.ok, false);
      if (!res.ok)
        assert.ok(
          res.errors.some((e) => message.test(e.message)),
          JSON.stringify(res.errors),
        );
    });
  }

  test('the default ruleset in rules/ is valid and versioned by content', () => {
    const a = loadRulesDir('rules');
    const b = loadRulesDir('rules');
    assert.ok(a.rules.length >= 15);
    assert.equal(a.version, b.version);
    assert.match(a.version, /^sha256:/);
  });
});

test('a failed run does not spoil the engine for the next run', async () => {
  const rules = [rule('p3', 3, 'a', 1), rule('p1', 1, 'b', 1)];
  const ev = createJreEvaluator(rules, 'v');
  // An object whose toString is not a function makes the numeric operator throw.
  await assert.rejects(async () => ev.evaluate({ a: { toString: 1 }, b: 1 }));
  await new Promise((r) => setTimeout(r, 10));
  const fired = await ev.evaluate({ a: 1, b: 1 });
  assert.deepEqual(
    fired.map((f) => f.rule),
    ['p3', 'p1'],
  );
});
