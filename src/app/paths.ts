import { fileURLToPath } from 'node:url';

/**
 * The package root (the folder holding package.json, rules/ and proto/), found from this
 * module's place in src/app/, so that the service starts from any working directory.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The anomaly model the service loads when MODEL_PATH is unset (trained by `npm run train`). */
export const DEFAULT_MODEL_FILE = 'models/tx-iforest-1.1.0.json';
