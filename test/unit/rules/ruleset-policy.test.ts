import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RULESET_POLICY, buildFacts, isKnownFact } from '../../../src/domain/facts.ts';
import { entityFeatures, toVelocityEvent } from '../../../src/domain/velocity.ts';
import { validateRuleset } from '../../../src/domain/rules/validate.ts';
import { ruleErrorDetails } from '../../../src/pipeline/rules-admin.ts';
import { makeTx } from '../../helpers/tx.ts';

const leaf = (fact: string, operator = 'greaterThan', value: unknown = 1) => ({
  fact,
  operator,
  value,
});
const rule = (name: string, conditions: unknown, params: unknown = { score: 10 }) => ({
  name,
  conditions,
  event: { type: 'risk', params },
});

describe('the service policy on rulesets', () => {
  test('every fact buildFacts provides is known, and nothing else but attributes.<key>', () => {
    const tx = makeTx({
      card_id: 'c',
      device_id: 'd',
      ip: '1.2.3.4',
      merchant_id: 'm',
      merchant_category: 'x',
      channel: 'web',
      location: 'US',
      latitude: 1,
      longitude: 2,
      attributes: { k: 1 },
    });
    const e = toVelocityEvent(tx);
    const features = {
      ...entityFeatures('account', e, [e]),
      ...entityFeatures('ip', e, [e]),
      ...entityFeatures('device', e, [e]),
      ...entityFeatures('card', e, [e]),
      ...entityFeatures('merchant', e, [e]),
    };
    const facts = buildFacts(tx, features, 0.5);
    for (const name of Object.keys(facts)) assert.ok(isKnownFact(name), name);
    assert.ok(isKnownFact('attributes.anything'));
    assert.equal(isKnownFact('attributes.'), false);
    assert.equal(isKnownFact('acount.count_1m'), false);
    assert.equal(isKnownFact('account.count_2m'), false);
  });

  test('reports every problem with the rule name and the path inside the rule', () => {
    const res = validateRuleset(
      [
        rule('ok', { all: [leaf('amount')] }),
        rule('typo', { all: [leaf('amount'), { any: [leaf('acount.count_1m')] }] }),
        rule('bad-op', { any: [leaf('amount', 'biggerThan')] }),
        rule('compare-to-unknown', { all: [leaf('amount', 'greaterThan', { fact: 'nope' })] }),
        rule('no-effect', { all: [leaf('amount')] }, { description: 'does nothing' }),
        rule('bad-shadow', { all: [leaf('amount')] }, { score: 1, shadow: 'yes' }),
        rule('bad-params', { all: [leaf('amount', 'in', 5)] }, { score: 'high' }),
        rule('ok', { all: [leaf('amount')] }),
      ],
      RULESET_POLICY,
    );
    assert.equal(res.ok, false);
    if (res.ok) return;
    const got = res.errors.map((e) => [e.index, e.rule, e.path]);
    assert.deepEqual(got, [
      [1, 'typo', 'conditions.all[1].any[0].fact'],
      [2, 'bad-op', 'conditions.any[0].operator'],
      [3, 'compare-to-unknown', 'conditions.all[0].value.fact'],
      [4, 'no-effect', 'event.params'],
      [5, 'bad-shadow', 'event.params.shadow'],
      [6, 'bad-params', 'conditions.all[0].operator'],
      [6, 'bad-params', 'event.params.score'],
      [7, 'ok', 'name'],
    ]);
    assert.match(res.errors[0]!.message, /unknown fact "acount\.count_1m"/);
    assert.match(res.errors[1]!.message, /unknown operator "biggerThan"/);
    assert.match(res.errors[3]!.message, /needs a score or an action/);
    assert.match(res.errors[7]!.message, /duplicate rule name \(also rule 0\)/);
    // As error details: a JSON pointer into the request body and the rule's name.
    assert.deepEqual(ruleErrorDetails(res.errors, '/rules')[0], {
      field: '/rules/1/conditions/all/1/any/0/fact',
      rule: 'typo',
      message: res.errors[0]!.message,
    });
  });

  test('limits: rules per set, conditions per rule, list values, nesting depth', () => {
    const many = Array.from({ length: 501 }, (_, i) => rule(`r${i}`, { all: [leaf('amount')] }));
    const tooMany = validateRuleset(many, RULESET_POLICY);
    assert.equal(tooMany.ok, false);
    if (!tooMany.ok) assert.match(tooMany.errors[0]!.message, /501 rules; at most 500/);

    const wide = rule('wide', { any: Array.from({ length: 201 }, () => leaf('amount')) });
    const res = validateRuleset([wide], RULESET_POLICY);
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.errors[0]!.message, /201 conditions; at most 200/);

    const bigList = rule('list', {
      all: [
        leaf(
          'merchant_id',
          'in',
          Array.from({ length: 10_001 }, (_, i) => `m${i}`),
        ),
      ],
    });
    const res2 = validateRuleset([bigList], RULESET_POLICY);
    assert.equal(res2.ok, false);
    if (!res2.ok) assert.match(res2.errors[0]!.message, /10001 values; at most 10000/);

    let deep: unknown = leaf('amount');
    for (let i = 0; i < 18; i++) deep = { all: [deep] };
    const res3 = validateRuleset([rule('deep', deep)], RULESET_POLICY);
    assert.equal(res3.ok, false);
    if (!res3.ok) assert.match(res3.errors[0]!.message, /nested deeper than 16/);
  });

  test('without a policy only the structure is checked (generated rules use any fact)', () => {
    const res = validateRuleset([
      { name: 'x', conditions: { all: [leaf('whatever')] }, event: { type: 'risk' } },
    ]);
    assert.equal(res.ok, true);
  });
});
