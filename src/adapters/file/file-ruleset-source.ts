import { readFileSync, readdirSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { ErrorDetail } from '../../domain/errors.ts';
import { RiskError } from '../../domain/errors.ts';
import { RULESET_POLICY } from '../../domain/facts.ts';
import { rulesetHash } from '../../domain/rules/hash.ts';
import type { RiskRule } from '../../domain/rules/types.ts';
import { validateRuleset } from '../../domain/rules/validate.ts';
import type { Logger } from '../../pipeline/logger.ts';

/**
 * Reads a ruleset directory: every `*.json` file, in name order, holds one rule or an array of
 * rules, checked with the service's policy (known facts, an effect per rule, size limits). The
 * version is the content hash, so the same rules always give the same version.
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
  const checked = validateRuleset(raw, RULESET_POLICY);
  if (!checked.ok) {
    const details: ErrorDetail[] = checked.errors.map((e) => ({
      field: e.index < 0 ? dir : (origin[e.index] ?? dir),
      ...(e.rule !== undefined && { rule: e.rule }),
      message: e.message,
    }));
    const first = details[0];
    throw new RiskError(
      'RISK_ERR_VALIDATION',
      `invalid ruleset in ${dir}: ${first ? `${first.field}${first.rule ? ` (${first.rule})` : ''}: ${first.message}` : ''}`,
      details,
    );
  }
  return { rules: checked.rules, version: rulesetHash(checked.rules) };
}

export interface RulesDirWatcher {
  close(): void;
}

/**
 * Calls `onRules` with the directory's rules after every change (debounced), in embedded mode:
 * an analyst edits a file and the service publishes it. A change that leaves the directory
 * invalid is logged with every problem and ignored.
 */
export function watchRulesDir(
  dir: string,
  logger: Logger,
  onRules: (loaded: { rules: RiskRule[]; version: string }) => Promise<void>,
  debounceMs = 250,
  /** Called after each change that left the directory invalid (and was ignored). */
  onInvalid: () => void = () => undefined,
): RulesDirWatcher {
  const log = logger.child({ component: 'rules-dir', dir });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const reload = (): void => {
    running = running.then(async () => {
      let loaded;
      try {
        loaded = loadRulesDir(dir);
      } catch (err) {
        const details = err instanceof RiskError ? err.details : undefined;
        log.error(
          { problems: details, err: err instanceof Error ? err.message : String(err) },
          'rules directory changed but is invalid: ignored, the active ruleset is unchanged',
        );
        onInvalid();
        return;
      }
      try {
        await onRules(loaded);
      } catch (err) {
        log.error({ err }, 'publishing the rules directory failed');
      }
    });
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
      timer.unref();
    });
    watcher.on('error', (err) => log.warn({ err }, 'watching the rules directory failed'));
  } catch (err) {
    log.warn({ err }, 'cannot watch the rules directory: file edits will not reload');
  }
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}
