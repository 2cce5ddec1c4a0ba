import { resolve } from 'node:path';
import { createFileModelSource } from '../adapters/file/file-model-source.ts';
import type { Logger } from '../pipeline/logger.ts';
import type { ModelSource } from '../pipeline/model-source.ts';
import { noModelSource } from '../pipeline/model-source.ts';
import type { Config } from './config.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from './paths.ts';

/** MODEL_PATH: unset → the shipped model, `none` → no model, otherwise that file (watched). */
export function openModelSource(config: Config, logger: Logger): ModelSource {
  if (config.MODEL_PATH === 'none') {
    logger.info({}, 'MODEL_PATH=none: no anomaly model, anomaly_score is null');
    return noModelSource;
  }
  const path = config.MODEL_PATH ?? resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);
  const source = createFileModelSource({ path, logger });
  logger.info({ model_version: source.current().version, path }, 'anomaly model loaded');
  return source;
}
