import { analyzeOperands, compileOperator, isFactReference } from './operators-impl.ts';
import { parseSimplePath, resolvePath, SUPPORTED_PATHS } from './path.ts';
import type { Condition, Facts, LeafCondition } from './types.ts';

/** A compiled condition: true when it holds for the facts. May throw where the engine does. */
export type Test = (facts: Facts) => boolean;
type Reader = (facts: Facts) => unknown;

/** A leaf as it was evaluated: the values compared and the outcome. */
export interface ExplainedLeaf {
  fact: string;
  operator: string;
  /** The rule's compare value, or the other fact's value when it was `{fact: ...}`. */
  value: unknown;
  /** The fact's value after `path` was applied. */
  factValue: unknown;
  result: boolean;
  path?: string;
  /** Set when the operator threw (json-rules-engine would have failed the run if it got here). */
  error?: string;
}
export interface ExplainedAll {
  all: ExplainedCondition[];
  result: boolean;
}
export interface ExplainedAny {
  any: ExplainedCondition[];
  result: boolean;
}
export interface ExplainedNot {
  not: ExplainedCondition;
  result: boolean;
}
export type ExplainedCondition = ExplainedLeaf | ExplainedAll | ExplainedAny | ExplainedNot;

export interface CompiledCondition {
  readonly test: Test;
  /** Evaluates every node, including those the engine skips once the outcome is known. */
  readonly explain: (facts: Facts) => ExplainedCondition;
  /** False when no facts can make `test` throw, so siblings may short-circuit past it. */
  readonly mayThrow: boolean;
  /** Orders siblings the way json-rules-engine does (higher first); it never changes outcomes. */
  readonly priority: number;
}

/**
 * Reads a fact from the plain facts object. json-rules-engine keeps facts in a Map, so a name an
 * object inherits (`constructor`, `toString`, `__proto__`, ...) is missing unless it is an own
 * property; other names are read directly, which is the fast path.
 */
function factReader(name: string): Reader {
  if (name in Object.prototype)
    return (facts) => (Object.hasOwn(facts, name) ? facts[name] : undefined);
  return (facts) => facts[name];
}

/** The engine resolves a path only on an object value; any other value is compared as it is. */
function pathReader(read: Reader, path: unknown, where: string): Reader {
  if (!path) return read; // json-rules-engine ignores a falsy path
  const keys = typeof path === 'string' ? parseSimplePath(path) : undefined;
  if (keys === undefined)
    throw new Error(`${where}: unsupported path ${JSON.stringify(path)}; use ${SUPPORTED_PATHS}`);
  return (facts) => {
    const v = read(facts);
    return v !== null && typeof v === 'object' ? resolvePath(v, keys) : v;
  };
}

function conditionPriority(priority: unknown, where: string): number {
  if (priority === undefined) return 1;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1)
    throw new Error(`${where}.priority: must be an integer ≥ 1`);
  return priority;
}

function compileLeaf(c: LeafCondition, where: string): CompiledCondition {
  const { fact, operator, value } = c;
  if (typeof fact !== 'string' || fact === '')
    throw new Error(`${where}.fact: must be a non-empty string`);
  if (typeof operator !== 'string') throw new Error(`${where}.operator: must be a string`);
  if (!Object.hasOwn(c, 'value')) throw new Error(`${where}.value: required`);
  const op = compileOperator(operator);
  const read = pathReader(factReader(fact), c.path, `${where}.path`);
  // `{fact: name}` compares with another fact; the engine looks the name up as given, so a name
  // that is not a string never matches a fact.
  const readValue = isFactReference(value)
    ? pathReader(
        typeof value.fact === 'string' && value.fact !== ''
          ? factReader(value.fact)
          : () => undefined,
        value.path,
        `${where}.value.path`,
      )
    : undefined;
  let test: Test;
  if (readValue !== undefined) test = (facts) => op(read(facts), readValue(facts));
  // The common leaf, a plain fact against a static value, reads the fact inline.
  else if (!c.path && !(fact in Object.prototype)) test = (facts) => op(facts[fact], value);
  else test = (facts) => op(read(facts), value);
  const explain = (facts: Facts): ExplainedLeaf => {
    const factValue = read(facts);
    const compareValue = readValue === undefined ? value : readValue(facts);
    const node: ExplainedLeaf = { fact, operator, value: compareValue, factValue, result: false };
    if (c.path) node.path = c.path;
    try {
      node.result = op(factValue, compareValue);
    } catch (err) {
      node.error = err instanceof Error ? err.message : String(err);
    }
    return node;
  };
  return {
    test,
    explain,
    mayThrow: analyzeOperands(operator, value).mayThrow,
    priority: conditionPriority(c.priority, where),
  };
}

interface PrioritySet {
  /** Conditions that may throw: all of them run, as the engine runs a whole set in parallel. */
  risky: Test[];
  /** Conditions that never throw: these may short-circuit. */
  safe: Test[];
}

/**
 * json-rules-engine splits the children of all/any into sets by priority, runs the sets one
 * after another and stops when the outcome is known, but runs every condition of a set. Only
 * throwing depends on which conditions run, so the sets are kept and, within a set, every
 * condition that may throw is run before the others short-circuit.
 */
function prioritySets(parts: readonly CompiledCondition[]): PrioritySet[] {
  const sets = new Map<number, PrioritySet>();
  for (const part of parts) {
    let set = sets.get(part.priority);
    if (set === undefined) {
      set = { risky: [], safe: [] };
      sets.set(part.priority, set);
    }
    (part.mayThrow ? set.risky : set.safe).push(part.test);
  }
  return [...sets.entries()].sort((a, b) => b[0] - a[0]).map(([, set]) => set);
}

function allOf(sets: readonly PrioritySet[]): Test {
  return (facts) => {
    for (const { risky, safe } of sets) {
      let ok = true;
      for (const t of risky) if (!t(facts)) ok = false;
      if (!ok) return false;
      for (const t of safe) if (!t(facts)) return false;
    }
    return true;
  };
}

function anyOf(sets: readonly PrioritySet[]): Test {
  return (facts) => {
    for (const { risky, safe } of sets) {
      let hit = false;
      for (const t of risky) if (t(facts)) hit = true;
      if (hit) return true;
      for (const t of safe) if (t(facts)) return true;
    }
    return false;
  };
}

const isTrue = (node: ExplainedCondition): boolean => node.result;

function compileGroup(
  kind: 'all' | 'any',
  children: unknown,
  priority: unknown,
  where: string,
): CompiledCondition {
  if (!Array.isArray(children)) throw new Error(`${where}.${kind}: must be an array`);
  const parts = children.map((c: unknown, i) => compileCondition(c, `${where}.${kind}[${i}]`));
  const only = parts.length === 1 ? parts[0] : undefined;
  let test: Test;
  // An empty `any` is true, like an empty `all`: json-rules-engine answers true for no conditions.
  if (parts.length === 0) test = () => true;
  // A lone child is evaluated directly, without priority sets.
  else if (only !== undefined) test = only.test;
  else test = kind === 'all' ? allOf(prioritySets(parts)) : anyOf(prioritySets(parts));
  return {
    test,
    explain: (facts) => {
      const nodes = parts.map((p) => p.explain(facts));
      if (kind === 'all') return { all: nodes, result: nodes.every(isTrue) };
      return { any: nodes, result: nodes.length === 0 || nodes.some(isTrue) };
    },
    mayThrow: parts.some((p) => p.mayThrow),
    // Boolean conditions get `parseInt(priority) || 1`; integers ≥ 1 are the only ones accepted.
    priority: conditionPriority(priority, where),
  };
}

/**
 * Compiles a condition tree into closures over the rule's own values: no rule text is ever
 * turned into code. `where` names the condition in error messages (`conditions.all[0]`).
 */
export function compileCondition(c: unknown, where: string): CompiledCondition {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new Error(`${where}: must be an object`);
  // The same precedence as json-rules-engine's Condition.booleanOperator.
  if (Object.hasOwn(c, 'any') || Object.hasOwn(c, 'all')) {
    const kind = Object.hasOwn(c, 'any') ? 'any' : 'all';
    const group = c as Record<string, unknown>;
    return compileGroup(kind, group[kind], group.priority, where);
  }
  if (Object.hasOwn(c, 'not')) {
    const { not, priority } = c as { not: unknown; priority?: unknown };
    if (Array.isArray(not)) throw new Error(`${where}.not: must be a single condition`);
    const inner = compileCondition(not, `${where}.not`);
    return {
      test: (facts) => !inner.test(facts),
      explain: (facts) => {
        const node = inner.explain(facts);
        return { not: node, result: !node.result };
      },
      mayThrow: inner.mayThrow,
      priority: conditionPriority(priority, where),
    };
  }
  if (Object.hasOwn(c, 'condition'))
    throw new Error(`${where}: shared condition references are not supported`);
  return compileLeaf(c as Condition as LeafCondition, where);
}
