import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RiskError } from '../../domain/errors.js';
import type { RiskRule, RuleEvaluator } from '../../domain/rules/types.js';
import { validateRuleset } from '../../domain/rules/validate.js';
import type { RulesetSource } from '../../pipeline/ruleset-source.js';

export type EvaluatorFactory = (rules: readonly RiskRule[], version: string) => RuleEvaluator;

/**
 * Reads a ruleset directory: every `*.json` file, in name order, holds one rule or an array of
 * rules. The version is a digest of the rules, so the same files always give the same version.
 */
export function loadRulesDir(dir: string): { rules: RiskRule[]; version: string } {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `cannot read rules directory ${dir}`,
      undefined,
      err,
    );
  }
  const raw: unknown[] = [];
  const origin: string[] = [];
  for (const f of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (err) {
      throw new RiskError('RISK_ERR_VALIDATION', `${join(dir, f)}: not valid JSON`, undefined, err);
    }
    for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
      raw.push(r);
      origin.push(f);
    }
  }
  const checked = validateRuleset(raw);
  if (!checked.ok) {
    const details = checked.errors.map((e) => ({
      field: `${origin[e.index] ?? dir}${e.rule ? ` (${e.rule})` : ''}`,
      message: e.message,
    }));
    const first = details[0];
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `invalid ruleset in ${dir}: ${first ? `${first.field}: ${first.message}` : ''}`,
      details,
    );
  }
  const version = `sha256:${createHash('sha256').update(JSON.stringify(checked.rules)).digest('hex').slice(0, 12)}`;
  return { rules: checked.rules, version };
}

/** A fixed ruleset from a directory, loaded once at start. */
export function createFileRulesetSource(
  dir: string,
  makeEvaluator: EvaluatorFactory,
): RulesetSource {
  const { rules, version } = loadRulesDir(dir);
  const evaluator = makeEvaluator(rules, version);
  return { current: () => evaluator, close: () => Promise.resolve() };
}
