import { Rule } from 'json-rules-engine';
import type { Condition, RiskRule } from './types.js';
import { isKnownOperator } from './operators.js';
import { analyzeOperands, isFactReference } from './operators-impl.js';
import { parseSimplePath, SUPPORTED_PATHS } from './path.js';

export interface RuleError {
  /** Index of the rule in the submitted list. */
  index: number;
  /** The rule's name when it has one. */
  rule?: string;
  message: string;
}

export type RulesetValidation =
  { ok: true; rules: RiskRule[] } | { ok: false; errors: RuleError[] };

const ACTIONS = new Set(['approve', 'review', 'decline']);
const MAX_DEPTH = 16;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkPath(p: unknown, path: string, out: string[]): void {
  if (typeof p !== 'string' || parseSimplePath(p) === undefined)
    out.push(`${path}: unsupported path ${JSON.stringify(p)}; use ${SUPPORTED_PATHS}`);
}

function checkCondition(c: unknown, path: string, depth: number, out: string[]): void {
  if (depth > MAX_DEPTH) {
    out.push(`${path}: conditions nested deeper than ${MAX_DEPTH}`);
    return;
  }
  if (!isObject(c)) {
    out.push(`${path}: must be an object`);
    return;
  }
  if ('condition' in c) {
    out.push(`${path}: shared condition references are not supported`);
    return;
  }
  // Priority only orders evaluation; json-rules-engine parses it with parseInt (and, for a leaf,
  // sorts on the raw value), so only integers mean the same to both engines.
  if ('priority' in c && !(Number.isInteger(c.priority) && (c.priority as number) >= 1))
    out.push(`${path}.priority: must be an integer ≥ 1`);
  const groups = ['all', 'any', 'not'].filter((k) => k in c);
  if (groups.length > 1) {
    out.push(`${path}: use only one of all/any/not`);
    return;
  }
  if (groups.length === 1) {
    const key = groups[0] as 'all' | 'any' | 'not';
    const inner = c[key];
    if (key === 'not') checkCondition(inner, `${path}.not`, depth + 1, out);
    else if (!Array.isArray(inner)) out.push(`${path}.${key}: must be an array`);
    else inner.forEach((x, i) => checkCondition(x, `${path}.${key}[${i}]`, depth + 1, out));
    return;
  }
  if (typeof c.fact !== 'string' || c.fact === '') out.push(`${path}.fact: must be a string`);
  if (typeof c.operator !== 'string') out.push(`${path}.operator: must be a string`);
  else if (!isKnownOperator(c.operator))
    out.push(`${path}.operator: unknown operator "${c.operator}"`);
  if (!('value' in c)) out.push(`${path}.value: required`);
  if ('path' in c) checkPath(c.path, `${path}.path`, out);
  const value = c.value;
  if (isFactReference(value)) {
    if (typeof value.fact !== 'string' || value.fact === '')
      out.push(`${path}.value.fact: must be a non-empty string`);
    if ('path' in value) checkPath(value.path, `${path}.value.path`, out);
  }
  if (typeof c.operator === 'string' && isKnownOperator(c.operator)) {
    for (const problem of analyzeOperands(c.operator, value).problems)
      out.push(`${path}.operator: ${problem}`);
  }
}

function checkRule(r: unknown): string[] {
  const out: string[] = [];
  if (!isObject(r)) return ['rule must be an object'];
  if (typeof r.name !== 'string' || r.name.trim() === '')
    out.push('name: must be a non-empty string');
  if ('priority' in r && (typeof r.priority !== 'number' || !(r.priority >= 1))) {
    out.push('priority: must be a number ≥ 1');
  }
  const cond = r.conditions;
  if (!isObject(cond) || !['all', 'any', 'not'].some((k) => k in cond)) {
    out.push('conditions: root must be one of all/any/not');
  } else {
    checkCondition(cond, 'conditions', 0, out);
  }
  const ev = r.event;
  if (!isObject(ev) || ev.type !== 'risk') {
    out.push('event.type: must be "risk"');
  } else if ('params' in ev) {
    const p = ev.params;
    if (!isObject(p)) out.push('event.params: must be an object');
    else {
      if ('score' in p && (typeof p.score !== 'number' || !Number.isFinite(p.score))) {
        out.push('event.params.score: must be a finite number');
      }
      if ('action' in p && !ACTIONS.has(p.action as string)) {
        out.push('event.params.action: must be approve, review or decline');
      }
      if ('description' in p && typeof p.description !== 'string') {
        out.push('event.params.description: must be a string');
      }
    }
  }
  if (out.length === 0) {
    // json-rules-engine is the reference validator: whatever its Rule constructor refuses is
    // refused here too, with its own message.
    try {
      new Rule(r as unknown as ConstructorParameters<typeof Rule>[0]);
    } catch (err) {
      out.push(err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}

/** Validates a whole ruleset: every rule on its own, then names unique across the set. */
export function validateRuleset(input: unknown): RulesetValidation {
  if (!Array.isArray(input))
    return { ok: false, errors: [{ index: -1, message: 'ruleset must be an array of rules' }] };
  const errors: RuleError[] = [];
  const seen = new Map<string, number>();
  input.forEach((r: unknown, index) => {
    const name = isObject(r) && typeof r.name === 'string' ? r.name : undefined;
    for (const message of checkRule(r)) errors.push({ index, rule: name, message });
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined)
        errors.push({ index, rule: name, message: `duplicate rule name (also rule ${first})` });
      else seen.set(name, index);
    }
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules: input as RiskRule[] };
}

export type { Condition };
