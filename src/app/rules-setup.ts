import { join } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { loadRulesDir, watchRulesDir } from '../adapters/file/file-ruleset-source.ts';
import type { RulesDirWatcher } from '../adapters/file/file-ruleset-source.ts';
import type { LiveRuleset } from '../pipeline/live-ruleset.ts';
import { createLiveRuleset } from '../pipeline/live-ruleset.ts';
import type { RulesetStore } from '../pipeline/ruleset-store.ts';
import type { Config } from './config.ts';
import type { ServiceMetrics } from './metrics.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { evaluatorFactory } from './rules-engine.ts';
import type { StoreMode } from './stores.ts';

export const RULES_DIR_AUTHOR = 'rules-dir';

export interface RulesSetup {
  live: LiveRuleset;
  dir: string;
  /** In embedded mode: publishes the rules directory after each edit. */
  startWatching(publish: (rules: unknown) => Promise<void>): RulesDirWatcher | undefined;
}

/**
 * Seeds an empty store from the rules directory, then follows the store's active version.
 * In embedded mode the directory stays the analysts' way in: if its files differ from the last
 * version taken from them (edited while the service was down), they are published at start.
 */
export async function setupRules(
  config: Config,
  store: RulesetStore,
  mode: StoreMode,
  logger: PinoLogger,
  metrics: ServiceMetrics,
): Promise<RulesSetup> {
  const dir = config.RULES_DIR ?? join(PACKAGE_ROOT, 'rules');
  const embedded = mode !== 'postgres';
  const files = loadRulesDir(dir);
  const seeded = await store.seedIfEmpty({
    rules: files.rules,
    content_hash: files.version,
    author: RULES_DIR_AUTHOR,
    comment: `seeded from ${dir}`,
    source: 'seed',
  });
  if (seeded !== null)
    logger.info({ version: seeded.version, rules: seeded.rule_count, dir }, 'ruleset store seeded');
  else if (embedded) {
    const fromDir = (await store.list(1000)).find(
      (v) => v.source === 'seed' || v.source === 'rules-dir',
    );
    if (fromDir !== undefined && fromDir.content_hash !== files.version) {
      const { active } = await store.publish({
        rules: files.rules,
        content_hash: files.version,
        author: RULES_DIR_AUTHOR,
        comment: `${dir} changed while the service was stopped`,
        source: 'rules-dir',
      });
      logger.info({ version: active.version, dir }, 'rules directory changed: published');
    }
  }

  const live = await createLiveRuleset({
    store,
    makeEvaluator: evaluatorFactory(config.RULES_ENGINE),
    logger,
    pollIntervalMs: config.RULES_POLL_INTERVAL_MS,
    onSwap: (ev) => metrics.observeRuleset(ev.version, ev.ruleCount),
  });
  logger.info(
    { version: live.version(), rules: live.current().ruleCount, engine: config.RULES_ENGINE },
    'ruleset loaded',
  );
  return {
    live,
    dir,
    startWatching(publish) {
      if (!embedded) return undefined;
      return watchRulesDir(
        dir,
        logger,
        ({ rules }) => publish(rules),
        undefined,
        () => metrics.rulesDirRejected(),
      );
    },
  };
}
