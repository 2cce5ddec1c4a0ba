import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { RiskRule } from './types.ts';

/**
 * The content hash of a ruleset: `sha256:` and the hex digest of its canonical JSON (keys
 * sorted), so the same rules give the same hash however their JSON was formatted.
 */
export function rulesetHash(rules: readonly RiskRule[]): string {
  return `sha256:${createHash('sha256').update(stringify(rules)).digest('hex')}`;
}
