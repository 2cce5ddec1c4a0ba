import { compileCondition } from './compile-condition.ts';
import type { ExplainedCondition, Test } from './compile-condition.ts';
import { toFired } from './fired.ts';
import type { Facts, FiredRule, RiskRule, RuleEvaluator } from './types.ts';

export type {
  ExplainedAll,
  ExplainedAny,
  ExplainedCondition,
  ExplainedLeaf,
  ExplainedNot,
} from './compile-condition.ts';

/** A fired rule with the evaluated condition tree that made it fire. */
export interface ExplainedFiredRule extends FiredRule {
  conditions: ExplainedCondition;
}

/** A ruleset compiled to closures: same outcomes as json-rules-engine, synchronously. */
export interface CompiledRuleset extends RuleEvaluator {
  /** Fired rules by priority descending, then ruleset position (as `orderFired`). */
  evaluate(facts: Facts): readonly FiredRule[];
  /** The fired rules of `evaluate`, each with its condition tree and the values compared. */
  explain(facts: Facts): ExplainedFiredRule[];
}

/**
 * Thrown where json-rules-engine would reject the run: an operator threw on the values it was
 * given (e.g. `greaterThan` on an object whose `toString` is not a function).
 */
export class RuleEvaluationError extends Error {
  readonly rule: string;

  constructor(rule: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`rule "${rule}" could not be evaluated: ${detail}`, { cause });
    this.name = 'RuleEvaluationError';
    this.rule = rule;
  }
}

interface CompiledRule {
  readonly name: string;
  readonly test: Test;
  readonly explain: (facts: Facts) => ExplainedCondition;
  /** Shared and frozen: evaluation allocates only the list of fired rules. */
  readonly fired: FiredRule;
}

/** json-rules-engine's `parseInt(priority || 1, 10)`; the validator admits numbers ≥ 1 only. */
function rulePriority(rule: RiskRule): number {
  const priority = Number.parseInt(String(rule.priority || 1), 10);
  if (!(priority >= 1)) throw new Error(`rule "${rule.name}": priority must be a number ≥ 1`);
  return priority;
}

function compileRule(rule: RiskRule): CompiledRule {
  if (typeof rule.name !== 'string' || rule.name === '')
    throw new Error('rule name must be a non-empty string');
  const c: unknown = rule.conditions;
  if (
    c === null ||
    typeof c !== 'object' ||
    !['all', 'any', 'not'].some((k) => Object.hasOwn(c, k))
  )
    throw new Error(`rule "${rule.name}": conditions root must be one of all/any/not`);
  let root;
  try {
    root = compileCondition(c, 'conditions');
  } catch (err) {
    throw new Error(`rule "${rule.name}": ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return {
    name: rule.name,
    test: root.test,
    explain: root.explain,
    // The engine keeps `params` only when truthy.
    fired: Object.freeze(toFired(rule.name, rule.event?.params || undefined)),
  };
}

/**
 * Compiles a validated ruleset (see validateRuleset) into an evaluator with json-rules-engine's
 * outcomes: the differential test in test/unit/rules proves it on generated rules and facts.
 * Throws on anything it cannot compile: unknown operators, unsupported paths, condition
 * references, duplicate names.
 */
export function compileRuleset(rules: readonly RiskRule[], version: string): CompiledRuleset {
  const seen = new Set<string>();
  const ranked = rules.map((rule, index) => {
    if (seen.has(rule.name)) throw new Error(`duplicate rule name "${rule.name}"`);
    seen.add(rule.name);
    return { index, priority: rulePriority(rule), rule: compileRule(rule) };
  });
  // Higher priority first, then ruleset position: the order orderFired gives the engine's output.
  const ordered = ranked
    .sort((a, b) => b.priority - a.priority || a.index - b.index)
    .map((r) => r.rule);

  const fires = (rule: CompiledRule, facts: Facts): boolean => {
    try {
      return rule.test(facts);
    } catch (err) {
      throw new RuleEvaluationError(rule.name, err);
    }
  };

  return {
    version,
    ruleCount: rules.length,
    evaluate(facts: Facts): readonly FiredRule[] {
      const out: FiredRule[] = [];
      for (const rule of ordered) if (fires(rule, facts)) out.push(rule.fired);
      return out;
    },
    explain(facts: Facts): ExplainedFiredRule[] {
      const fired = ordered.filter((rule) => fires(rule, facts));
      return fired.map((rule) => ({ ...rule.fired, conditions: rule.explain(facts) }));
    },
  };
}
