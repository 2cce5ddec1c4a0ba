import { isKnownOperator } from './operators.ts';

/**
 * json-rules-engine 7.3's operators, written as plain functions with the same semantics
 * (engine-default-operators.js, engine-default-operator-decorators.js, operator.js): an operator
 * is true only when its fact-value validator passes and its callback is true. The callbacks call
 * the same methods on the same values (`b.indexOf(a)`, `jsonValue.some(...)`), so they coerce and
 * throw exactly where json-rules-engine does.
 */
export type OperatorFn = (factValue: unknown, compareValue: unknown) => boolean;

interface Indexable {
  indexOf(x: unknown): number;
}
interface ListLike {
  some(f: (x: unknown) => boolean): boolean;
  every(f: (x: unknown) => boolean): boolean;
}

/** json-rules-engine's `Number.parseFloat(x).toString() !== 'NaN'`, without the string. */
function isNumeric(x: unknown): boolean {
  // parseFloat(String(n)) is NaN only for NaN; anything else is converted as the engine does.
  return typeof x === 'number' ? !Number.isNaN(x) : !Number.isNaN(Number.parseFloat(x as string));
}

const BASE = new Map<string, OperatorFn>(
  Object.entries({
    equal: (a, b) => a === b,
    notEqual: (a, b) => a !== b,
    in: (a, b) => (b as Indexable).indexOf(a) > -1,
    notIn: (a, b) => (b as Indexable).indexOf(a) === -1,
    contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
    doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
    // The casts only satisfy the type checker: `<` compares whatever it is given, as in the engine.
    lessThan: (a, b) => isNumeric(a) && (a as number) < (b as number),
    lessThanInclusive: (a, b) => isNumeric(a) && (a as number) <= (b as number),
    greaterThan: (a, b) => isNumeric(a) && (a as number) > (b as number),
    greaterThanInclusive: (a, b) => isNumeric(a) && (a as number) >= (b as number),
  } satisfies Record<string, OperatorFn>),
);

const DECORATE = new Map<string, (next: OperatorFn) => OperatorFn>(
  Object.entries({
    someFact: (next) => (a, b) => Array.isArray(a) && a.some((x) => next(x, b)),
    everyFact: (next) => (a, b) => Array.isArray(a) && a.every((x) => next(x, b)),
    someValue: (next) => (a, b) => (b as ListLike).some((y) => next(a, y)),
    everyValue: (next) => (a, b) => (b as ListLike).every((y) => next(a, y)),
    swap: (next) => (a, b) => next(b, a),
    not: (next) => (a, b) => !next(a, b),
  } satisfies Record<string, (next: OperatorFn) => OperatorFn>),
);

/**
 * The function for an operator name such as `greaterThan` or `not:someFact:equal`. Decorators
 * apply outermost first, as json-rules-engine's OperatorMap stacks them.
 */
export function compileOperator(name: string): OperatorFn {
  const unknown = new Error(`unknown operator "${name}"`);
  if (!isKnownOperator(name)) throw unknown;
  const parts = name.split(':');
  let fn = BASE.get(parts.pop() ?? '');
  for (const decorator of parts.reverse()) {
    const decorate = DECORATE.get(decorator);
    if (fn === undefined || decorate === undefined) throw unknown;
    fn = decorate(fn);
  }
  if (fn === undefined) throw unknown;
  return fn;
}

/** True for a compare value json-rules-engine reads from another fact (`{fact: 'name'}`). */
export function isFactReference(value: unknown): value is { fact: unknown; path?: unknown } {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, 'fact');
}

export interface OperandAnalysis {
  /** False when no fact values can make the condition throw, so evaluation may skip it. */
  mayThrow: boolean;
  /** Operand shapes that make json-rules-engine throw; the validator refuses these rules. */
  problems: string[];
}

/** Where an operand comes from: a fact (unknown until run time) or the rule's static value. */
type Operand = { fromFact: true } | { fromFact: false; candidates: readonly unknown[] };

const NUMERIC = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

/**
 * Follows the operands of `operator` through its decorators to find the places where
 * json-rules-engine calls a list method on an operand that may not be a list: `in`/`notIn` call
 * `value.indexOf`, `someValue`/`everyValue` call `value.some`/`value.every`. A static value must
 * then be an array; a value taken from a fact (`{fact}` or after `swap`) is refused as well,
 * because the engine throws whenever that fact is missing. Numeric operators convert their
 * operands to primitives, which throws for an object whose `toString` is not a function, so they
 * may throw too, but only on such values.
 */
export function analyzeOperands(operator: string, value: unknown): OperandAnalysis {
  const problems: string[] = [];
  let mayThrow = false;
  let left: Operand = { fromFact: true };
  let right: Operand = isFactReference(value)
    ? { fromFact: true }
    : { fromFact: false, candidates: [value] };

  const needList = (side: Operand, step: string): Operand => {
    if (side.fromFact) {
      mayThrow = true;
      problems.push(
        `operator "${operator}": "${step}" takes its list from a fact, and json-rules-engine ` +
          'throws when that fact is missing or not a list; compare with an array value instead',
      );
      return side;
    }
    if (!side.candidates.every(Array.isArray)) {
      mayThrow = true;
      problems.push(`operator "${operator}": "${step}" needs an array value`);
    }
    return { fromFact: false, candidates: side.candidates.filter(Array.isArray).flat() };
  };

  const parts = operator.split(':');
  const base = parts.pop() ?? '';
  for (const decorator of parts) {
    if (decorator === 'swap') [left, right] = [right, left];
    else if (decorator === 'someValue' || decorator === 'everyValue')
      right = needList(right, decorator);
    else if ((decorator === 'someFact' || decorator === 'everyFact') && !left.fromFact)
      // A non-array fails the decorator's validator, so only elements of arrays go further.
      left = { fromFact: false, candidates: left.candidates.filter(Array.isArray).flat() };
  }
  if (base === 'in' || base === 'notIn') needList(right, base);
  if (NUMERIC.has(base)) mayThrow = true;
  return { mayThrow, problems };
}
