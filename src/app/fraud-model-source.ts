import { createFileFraudModelSource } from '../adapters/file/file-fraud-model-source.ts';
import type { Logger } from '../pipeline/logger.ts';
import type { FraudModelSource } from '../pipeline/fraud-model-source.ts';
import { noFraudModelSource } from '../pipeline/fraud-model-source.ts';
import type { Config } from './config.ts';

/** The fraud model of FRAUD_MODEL_PATH, watched; unset: none (`fraud_probability` is null). */
export function openFraudModelSource(
  config: Pick<Config, 'FRAUD_MODEL_PATH'>,
  logger: Logger,
): FraudModelSource {
  const path = config.FRAUD_MODEL_PATH;
  if (path === undefined) return noFraudModelSource;
  const source = createFileFraudModelSource({ path, logger });
  logger.info({ fraud_model_version: source.current().version, path }, 'fraud model loaded');
  return source;
}
