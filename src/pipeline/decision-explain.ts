import { buildFacts } from '../domain/facts.ts';
import type { CompiledRuleset } from '../domain/rules/compile.ts';
import { compileRuleset } from '../domain/rules/compile.ts';
import type { ExplainedFiredRule } from '../domain/rules/types.ts';
import type { ScoredSample } from './recent-scored.ts';
import type { RulesetStore } from './ruleset-store.ts';

/** Compiled rulesets kept for explanations: the few versions a console looks at. */
const CACHED_VERSIONS = 8;

export type DecisionExplainer = (sample: ScoredSample) => Promise<ExplainedFiredRule[] | null>;

/**
 * The `explain` data of a decision already made, computed when asked rather than on every
 * scoring call: the stored transaction, its features and anomaly score evaluated again by the
 * ruleset version that scored it (versions never change, so the outcome is the same). Null
 * when that version is no longer in the store.
 */
export function createDecisionExplainer(store: Pick<RulesetStore, 'get'>): DecisionExplainer {
  const cache = new Map<string, CompiledRuleset>();

  async function compiled(version: string): Promise<CompiledRuleset | null> {
    const hit = cache.get(version);
    if (hit !== undefined) return hit;
    const n = Number(version);
    if (!Number.isSafeInteger(n)) return null;
    const stored = await store.get(n);
    if (stored === null) return null;
    const ruleset = compileRuleset(stored.rules, version);
    cache.set(version, ruleset);
    if (cache.size > CACHED_VERSIONS) cache.delete(cache.keys().next().value ?? version);
    return ruleset;
  }

  return async (sample) => {
    const version = sample.response?.ruleset_version;
    if (version === undefined) return null;
    const ruleset = await compiled(version);
    if (ruleset === null) return null;
    return ruleset.explain(
      buildFacts(
        sample.transaction,
        sample.features,
        sample.anomaly_score,
        sample.fraud_probability ?? null,
      ),
    );
  };
}
