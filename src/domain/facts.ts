import type { VelocityFeatures } from './features.js';
import type { Facts } from './rules/types.js';
import type { Transaction } from './transaction.js';

/**
 * The facts a rule can name (DESIGN.md §4.3): every transaction field by name, each attribute as
 * `attributes.<key>`, every velocity feature by name, `amount_to_avg_24h` (amount over
 * `account.avg_amount_24h`, null without history) and `anomaly_score`.
 */
export function buildFacts(
  tx: Transaction,
  features: VelocityFeatures,
  anomalyScore: number | null,
): Facts {
  const avg = features['account.avg_amount_24h'];
  const facts: Record<string, unknown> = {
    ...tx,
    ...features,
    // Rules cannot do arithmetic, so the ratio that "far above the average" needs is a fact.
    amount_to_avg_24h: typeof avg === 'number' && avg > 0 ? tx.amount / avg : null,
    anomaly_score: anomalyScore,
  };
  if (tx.attributes !== undefined) {
    for (const [k, v] of Object.entries(tx.attributes)) facts[`attributes.${k}`] = v;
  }
  return facts;
}
