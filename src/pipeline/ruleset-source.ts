import type { RuleEvaluator } from '../domain/rules/types.js';

/** Where the active ruleset comes from; `current()` is read once per scoring call. */
export interface RulesetSource {
  current(): RuleEvaluator;
  close(): Promise<void>;
}
