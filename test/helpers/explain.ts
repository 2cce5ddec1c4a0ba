import type { ExplainedCondition } from '../../src/domain/rules/compile.ts';

/**
 * The condition tree of the default `sanctioned-country` rule for a transaction from KP: what
 * both front doors must return when asked to explain it.
 */
export const SANCTIONED_KP: ExplainedCondition = {
  any: [
    {
      fact: 'location',
      operator: 'in',
      value: ['KP', 'IR', 'CU', 'SY'],
      factValue: 'KP',
      result: true,
    },
  ],
  result: true,
};
