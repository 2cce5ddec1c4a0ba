import type { EvaluatorFactory } from '../adapters/file/file-ruleset-source.js';
import { createJreEvaluator } from '../domain/rules/jre-evaluator.js';
import type { Config } from './config.js';

/** The rule engine behind RULES_ENGINE. */
export function evaluatorFactory(engine: Config['RULES_ENGINE']): EvaluatorFactory {
  switch (engine) {
    case 'json-rules-engine':
    case 'compiled':
      return createJreEvaluator;
  }
}
