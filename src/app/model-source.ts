import { resolve } from 'node:path';
import { createFileModelSource } from '../adapters/file/file-model-source.ts';
import type { Logger } from '../pipeline/logger.ts';
import type { ModelSource } from '../pipeline/model-source.ts';
import { noModelSource } from '../pipeline/model-source.ts';
import type { Config } from './config.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from './paths.ts';

/** The model file that MODEL_PATH names: unset → the shipped model, `none` → null (no model). */
export function modelPath(config: Pick<Config, 'MODEL_PATH'>): string | null {
  if (config.MODEL_PATH === 'none') return null;
  return config.MODEL_PATH ?? resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);
}

/** The model of `modelPath`, watched: a valid replacement file is swapped in. */
export function openModelSource(config: Config, logger: Logger): ModelSource {
  const path = modelPath(config);
  if (path === null) {
    logger.info({}, 'MODEL_PATH=none: no anomaly model, anomaly_score is null');
    return noModelSource;
  }
  const source = createFileModelSource({ path, logger });
  logger.info({ model_version: source.current().version, path }, 'anomaly model loaded');
  return source;
}
