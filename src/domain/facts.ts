import type { VelocityFeatures } from './features.ts';
import { WINDOW_FEATURES } from './features.ts';
import type { Facts } from './rules/types.ts';
import type { RulesetPolicy } from './rules/validate.ts';
import { DEFAULT_LIMITS } from './rules/validate.ts';
import type { Transaction } from './transaction.ts';
import { transactionSchema } from './transaction.ts';

/**
 * The facts a rule can name (DESIGN.md §4.3): every transaction field by name, each attribute as
 * `attributes.<key>`, every velocity feature by name, `amount_to_avg_24h` (amount over
 * `account.avg_amount_24h`, null without history), `anomaly_score` and `fraud_probability`
 * (the supervised fraud model's probability, null without one).
 */
export function buildFacts(
  tx: Transaction,
  features: VelocityFeatures,
  anomalyScore: number | null,
  fraudProbability: number | null = null,
): Facts {
  // Copied key by key: object spread of these ~60 keys measured 78 µs a call, this loop 5 µs
  // (load-test/bench: profile of REST scoring, 2026-11-21).
  // No prototype: a name that every object inherits (`toString`, `constructor`) is no fact.
  const facts: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const k in tx) facts[k] = tx[k as keyof Transaction];
  for (const k in features) facts[k] = features[k];
  const avg = features['account.avg_amount_24h'];
  // Rules cannot do arithmetic, so the ratio that "far above the average" needs is a fact.
  facts.amount_to_avg_24h = typeof avg === 'number' && avg > 0 ? tx.amount / avg : null;
  facts.anomaly_score = anomalyScore;
  facts.fraud_probability = fraudProbability;
  if (tx.attributes !== undefined) {
    for (const k in tx.attributes) facts[`attributes.${k}`] = tx.attributes[k];
  }
  return facts;
}

/** The features besides `E.count_W` / `E.amount_W` (DESIGN.md §4.2). */
export const ACCOUNT_AND_SHARED_FEATURES = [
  'account.distinct_merchants_1h',
  'account.distinct_countries_24h',
  'account.distinct_devices_24h',
  'account.seconds_since_last',
  'account.avg_amount_24h',
  'ip.distinct_accounts_1h',
  'device.distinct_accounts_24h',
] as const;

const KNOWN_FACTS: ReadonlySet<string> = new Set([
  ...Object.keys(transactionSchema.properties),
  ...Object.values(WINDOW_FEATURES).flat(),
  ...ACCOUNT_AND_SHARED_FEATURES,
  'amount_to_avg_24h',
  'anomaly_score',
  'fraud_probability',
]);

/** Whether a rule may name `fact`: a fact buildFacts provides, or any `attributes.<key>`. */
export function isKnownFact(fact: string): boolean {
  return KNOWN_FACTS.has(fact) || (fact.startsWith('attributes.') && fact.length > 11);
}

/** Every fact name a rule may use (attributes as the pattern `attributes.<key>`). */
export function knownFactNames(): string[] {
  return [...KNOWN_FACTS, 'attributes.<key>'];
}

/** The service's rules: known facts only, an effect on every rule, size limits. */
export const RULESET_POLICY: RulesetPolicy = {
  isKnownFact,
  requireEffect: true,
  limits: DEFAULT_LIMITS,
};
