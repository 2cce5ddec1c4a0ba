import { Rule } from 'json-rules-engine';
import type { Condition, RiskRule } from './types.ts';
import { isKnownOperator } from './operators.ts';
import { analyzeOperands, isFactReference } from './operators-impl.ts';
import { unsafeCharIn } from '../text.ts';
import { parseSimplePath, SUPPORTED_PATHS } from './path.ts';

export interface RuleError {
  /** Index of the rule in the submitted list; -1 for the ruleset as a whole. */
  index: number;
  /** The rule's name when it has one. */
  rule?: string;
  /** Where inside the rule, e.g. `conditions.all[0].fact`; empty for the whole rule. */
  path: string;
  /** `path: problem`, readable on its own. */
  message: string;
}

/**
 * What the service asks of a ruleset beyond json-rules-engine's structure. Left out, only the
 * structure is checked (the differential tests generate rules over arbitrary facts).
 */
export interface RulesetPolicy {
  /** Facts a condition may name; anything else is reported as an unknown fact. */
  isKnownFact?: (fact: string) => boolean;
  /** Every rule must have an effect: a score or an action. */
  requireEffect?: boolean;
  /** Protects the hot path from rulesets too large to evaluate in microseconds. */
  limits?: RulesetLimits;
}

export interface RulesetLimits {
  maxRules: number;
  /** Leaf conditions in one rule. */
  maxConditionsPerRule: number;
  /** Elements of one `in`/`notIn`/`contains` list value. */
  maxListLength: number;
}

export const DEFAULT_LIMITS: RulesetLimits = {
  maxRules: 500,
  maxConditionsPerRule: 200,
  maxListLength: 10_000,
};

interface Problem {
  path: string;
  message: string;
}

export type RulesetValidation =
  { ok: true; rules: RiskRule[] } | { ok: false; errors: RuleError[] };

const ACTIONS = new Set(['approve', 'review', 'decline']);
const MAX_DEPTH = 16;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects the problems of one rule. */
class Problems {
  readonly list: Problem[] = [];
  leaves = 0;
  readonly policy: RulesetPolicy;
  constructor(policy: RulesetPolicy) {
    this.policy = policy;
  }
  push(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function checkPath(p: unknown, path: string, out: Problems): void {
  if (typeof p !== 'string' || parseSimplePath(p) === undefined)
    out.push(path, `unsupported path ${JSON.stringify(p)}; use ${SUPPORTED_PATHS}`);
}

/** Names every object inherits (`toString`, `constructor`, `__proto__`, ...). */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Whether a fact name, or a dot-separated part of it (`attributes.toString`), is one an object
 * inherits: such a name could resolve to the inherited member instead of a fact.
 */
export function namesPrototypeMember(name: string): boolean {
  return PROTOTYPE_NAMES.has(name) || name.split('.').some((part) => PROTOTYPE_NAMES.has(part));
}

function checkFact(fact: string, path: string, out: Problems): void {
  if (namesPrototypeMember(fact)) {
    out.push(path, `fact "${fact}" names a member every object inherits; rename it`);
    return;
  }
  const known = out.policy.isKnownFact;
  if (known !== undefined && !known(fact)) out.push(path, `unknown fact "${fact}"`);
}

function checkCondition(c: unknown, path: string, depth: number, out: Problems): void {
  if (depth > MAX_DEPTH) {
    out.push(path, `conditions nested deeper than ${MAX_DEPTH}`);
    return;
  }
  if (!isObject(c)) {
    out.push(path, 'must be an object');
    return;
  }
  if ('condition' in c) {
    out.push(path, 'shared condition references are not supported');
    return;
  }
  // Priority only orders evaluation; json-rules-engine parses it with parseInt (and, for a leaf,
  // sorts on the raw value), so only integers mean the same to both engines.
  if ('priority' in c && !(Number.isInteger(c.priority) && (c.priority as number) >= 1))
    out.push(`${path}.priority`, 'must be an integer ≥ 1');
  const groups = ['all', 'any', 'not'].filter((k) => k in c);
  if (groups.length > 1) {
    out.push(path, 'use only one of all/any/not');
    return;
  }
  if (groups.length === 1) {
    const key = groups[0] as 'all' | 'any' | 'not';
    const inner = c[key];
    if (key === 'not') checkCondition(inner, `${path}.not`, depth + 1, out);
    else if (!Array.isArray(inner)) out.push(`${path}.${key}`, 'must be an array');
    // An empty `all` is always true (the rule always fires), an empty `any` never: both mistakes.
    else if (inner.length === 0) out.push(`${path}.${key}`, 'must hold at least one condition');
    else inner.forEach((x, i) => checkCondition(x, `${path}.${key}[${i}]`, depth + 1, out));
    return;
  }
  if (typeof c.fact !== 'string' || c.fact === '') out.push(`${path}.fact`, 'must be a string');
  else checkFact(c.fact, `${path}.fact`, out);
  out.leaves += 1;
  if (typeof c.operator !== 'string') out.push(`${path}.operator`, 'must be a string');
  else if (!isKnownOperator(c.operator))
    out.push(`${path}.operator`, `unknown operator "${c.operator}"`);
  if (!('value' in c)) out.push(`${path}.value`, 'required');
  if ('path' in c) checkPath(c.path, `${path}.path`, out);
  const value = c.value;
  if (isFactReference(value)) {
    if (typeof value.fact !== 'string' || value.fact === '')
      out.push(`${path}.value.fact`, 'must be a non-empty string');
    else checkFact(value.fact, `${path}.value.fact`, out);
    if ('path' in value) checkPath(value.path, `${path}.value.path`, out);
  }
  const maxList = out.policy.limits?.maxListLength;
  if (maxList !== undefined && Array.isArray(value) && value.length > maxList)
    out.push(`${path}.value`, `list of ${value.length} values; at most ${maxList}`);
  if (typeof c.operator === 'string' && isKnownOperator(c.operator)) {
    for (const problem of analyzeOperands(c.operator, value).problems)
      out.push(`${path}.operator`, problem);
  }
}

function checkRule(r: unknown, policy: RulesetPolicy): Problem[] {
  const out = new Problems(policy);
  if (!isObject(r)) return [{ path: '', message: 'rule must be an object' }];
  if (typeof r.name !== 'string' || r.name.trim() === '')
    out.push('name', 'must be a non-empty string');
  else if (unsafeCharIn(r.name) !== null)
    out.push(
      'name',
      `must not contain ${unsafeCharIn(r.name)} (a control, separator or bidi character)`,
    );
  if ('priority' in r && (typeof r.priority !== 'number' || !(r.priority >= 1))) {
    out.push('priority', 'must be a number ≥ 1');
  }
  const cond = r.conditions;
  if (!isObject(cond) || !['all', 'any', 'not'].some((k) => k in cond)) {
    out.push('conditions', 'root must be one of all/any/not');
  } else {
    checkCondition(cond, 'conditions', 0, out);
  }
  const maxLeaves = policy.limits?.maxConditionsPerRule;
  if (maxLeaves !== undefined && out.leaves > maxLeaves)
    out.push('conditions', `${out.leaves} conditions; at most ${maxLeaves} per rule`);
  const ev = r.event;
  if (!isObject(ev) || ev.type !== 'risk') {
    out.push('event.type', 'must be "risk"');
  } else if ('params' in ev && !isObject(ev.params)) {
    out.push('event.params', 'must be an object');
  } else {
    const p = isObject(ev.params) ? ev.params : {};
    if ('score' in p && (typeof p.score !== 'number' || !Number.isFinite(p.score))) {
      out.push('event.params.score', 'must be a finite number');
    }
    if ('action' in p && !ACTIONS.has(p.action as string)) {
      out.push('event.params.action', 'must be approve, review or decline');
    }
    if ('description' in p && typeof p.description !== 'string') {
      out.push('event.params.description', 'must be a string');
    } else if (typeof p.description === 'string' && unsafeCharIn(p.description) !== null) {
      out.push(
        'event.params.description',
        `must not contain ${unsafeCharIn(p.description)} (a control, separator or bidi character)`,
      );
    }
    if ('shadow' in p && typeof p.shadow !== 'boolean') {
      out.push('event.params.shadow', 'must be true or false');
    }
    if (policy.requireEffect === true && !('score' in p) && !('action' in p)) {
      out.push(
        'event.params',
        'needs a score or an action: without either the rule changes nothing',
      );
    }
  }
  if (out.list.length === 0) {
    // json-rules-engine is the reference validator: whatever its Rule constructor refuses is
    // refused here too, with its own message.
    try {
      new Rule(r as unknown as ConstructorParameters<typeof Rule>[0]);
    } catch (err) {
      out.push('', err instanceof Error ? err.message : String(err));
    }
  }
  return out.list;
}

const error = (index: number, rule: string | undefined, p: Problem): RuleError => ({
  index,
  ...(rule !== undefined && { rule }),
  path: p.path,
  message: p.path === '' ? p.message : `${p.path}: ${p.message}`,
});

/**
 * Validates a whole ruleset: every rule on its own, then names unique across the set. Reports
 * every problem found, each with the rule's index, name and the path inside the rule.
 */
export function validateRuleset(input: unknown, policy: RulesetPolicy = {}): RulesetValidation {
  if (!Array.isArray(input))
    return {
      ok: false,
      errors: [{ index: -1, path: '', message: 'ruleset must be an array of rules' }],
    };
  const errors: RuleError[] = [];
  const maxRules = policy.limits?.maxRules;
  if (maxRules !== undefined && input.length > maxRules)
    errors.push({
      index: -1,
      path: '',
      message: `${input.length} rules; at most ${maxRules} in one ruleset`,
    });
  const seen = new Map<string, number>();
  input.forEach((r: unknown, index) => {
    const name = isObject(r) && typeof r.name === 'string' ? r.name : undefined;
    for (const p of checkRule(r, policy)) errors.push(error(index, name, p));
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined)
        errors.push(
          error(index, name, { path: 'name', message: `duplicate rule name (also rule ${first})` }),
        );
      else seen.set(name, index);
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules: input as RiskRule[] };
}

export type { Condition };
