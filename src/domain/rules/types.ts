import type { ExplainedFiredRule } from './compile.ts';

/**
 * The rule format is json-rules-engine's (DESIGN.md §4.3). These types describe the subset the
 * service accepts; json-rules-engine itself remains the validator and the reference semantics.
 */

export type RuleAction = 'approve' | 'review' | 'decline';

export interface RiskEventParams {
  score?: number;
  action?: RuleAction;
  description?: string;
  /** A shadow rule is evaluated and counted but never changes the score or the decision. */
  shadow?: boolean;
}

export interface RiskEvent {
  type: 'risk';
  params?: RiskEventParams;
}

/** A leaf condition: `fact` compared with `value` (or another fact via `{fact: name}`). */
export interface LeafCondition {
  fact: string;
  operator: string;
  value: unknown;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
}

export interface AllCondition {
  all: Condition[];
  priority?: number;
  name?: string;
}
export interface AnyCondition {
  any: Condition[];
  priority?: number;
  name?: string;
}
export interface NotCondition {
  not: Condition;
  priority?: number;
  name?: string;
}

export type Condition = LeafCondition | AllCondition | AnyCondition | NotCondition;
export type TopLevelCondition = AllCondition | AnyCondition | NotCondition;

export interface RiskRule {
  name: string;
  priority?: number;
  conditions: TopLevelCondition;
  event: RiskEvent;
}

/** Facts offered to rules: transaction fields, `attributes.<key>`, features, `anomaly_score`. */
export type Facts = Readonly<Record<string, unknown>>;

/** One fired rule, in the order the engine fired it (priority descending, then file order). */
export interface FiredRule {
  rule: string;
  score: number;
  action?: RuleAction;
  description?: string;
  /** Present (true) on a shadow rule's hit: reported apart, never counted in the decision. */
  shadow?: true;
}

/**
 * A ruleset ready to evaluate. `evaluate` may be synchronous (the compiled evaluator) or
 * asynchronous (json-rules-engine); callers await only when a promise comes back.
 */
export interface RuleEvaluator {
  readonly version: string;
  readonly ruleCount: number;
  evaluate(facts: Facts): readonly FiredRule[] | Promise<readonly FiredRule[]>;
  /** Fired rules with their evaluated conditions and the fact values compared, when supported. */
  explain?(facts: Facts): ExplainedFiredRule[];
}

export type { ExplainedFiredRule } from './compile.ts';
