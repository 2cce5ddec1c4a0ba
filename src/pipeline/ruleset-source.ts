import type { RiskRule, RuleEvaluator } from '../domain/rules/types.ts';

/** Builds the evaluator of a validated ruleset (compiled, or json-rules-engine itself). */
export type EvaluatorFactory = (rules: readonly RiskRule[], version: string) => RuleEvaluator;

/** Where the active ruleset comes from; `current()` is read once per scoring call. */
export interface RulesetSource {
  current(): RuleEvaluator;
  close(): Promise<void>;
}
