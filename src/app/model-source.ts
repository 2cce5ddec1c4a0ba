import { resolve } from 'node:path';
import type { Config } from './config.ts';
import { DEFAULT_MODEL_FILE, PACKAGE_ROOT } from './paths.ts';

/**
 * The model file that MODEL_PATH names: unset → the shipped model, `none` → null (no model).
 * It seeds the model registry's `anomaly` role (model-setup.ts) and gives backtests their model.
 */
export function modelPath(config: Pick<Config, 'MODEL_PATH'>): string | null {
  if (config.MODEL_PATH === 'none') return null;
  return config.MODEL_PATH ?? resolve(PACKAGE_ROOT, DEFAULT_MODEL_FILE);
}
