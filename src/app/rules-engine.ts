import type { EvaluatorFactory } from '../pipeline/ruleset-source.ts';
import { compileRuleset } from '../domain/rules/compile.ts';
import { createJreEvaluator } from '../domain/rules/jre-evaluator.ts';
import type { Config } from './config.ts';

/**
 * The rule engine behind RULES_ENGINE: the compiled evaluator (proved equal to json-rules-engine
 * by test/unit/rules/compile-differential.test.ts, about 100× faster) or json-rules-engine
 * itself, the reference.
 */
export function evaluatorFactory(engine: Config['RULES_ENGINE']): EvaluatorFactory {
  switch (engine) {
    case 'compiled':
      return compileRuleset;
    case 'json-rules-engine':
      return createJreEvaluator;
  }
}
