/**
 * Operators a rule may use: json-rules-engine's built-ins and its operator decorators
 * (`not:equal`, `someFact:in`, ...). The compiled evaluator supports exactly these, so the
 * validator rejects anything else before it reaches either engine.
 */
export const BUILTIN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;

export const OPERATOR_DECORATORS = [
  'someFact',
  'someValue',
  'everyFact',
  'everyValue',
  'swap',
  'not',
] as const;

const builtin = new Set<string>(BUILTIN_OPERATORS);
const decorators = new Set<string>(OPERATOR_DECORATORS);

/** True when `name` is a built-in operator, optionally behind one or more decorators. */
export function isKnownOperator(name: string): boolean {
  const parts = name.split(':');
  const base = parts.pop();
  return base !== undefined && builtin.has(base) && parts.every((d) => decorators.has(d));
}
