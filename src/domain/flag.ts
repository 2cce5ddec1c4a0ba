import { createHash } from 'node:crypto';
import type { Decision } from './decision.ts';
import type { FiredRule } from './rules/types.ts';

export const RISK_FLAG_SCHEMA = 'risk.flag.v1';

/**
 * The message on the flags topic (DESIGN.md §4.7) for every transaction not approved. Its JSON
 * Schema is `src/domain/schemas/risk.flag.v1.json`; a test checks produced flags against it.
 */
export interface RiskFlag {
  schema: typeof RISK_FLAG_SCHEMA;
  /** The same for every emission of one transaction_id: consumers deduplicate on it. */
  flag_id: string;
  transaction_id: string;
  account_id: string;
  decision: Exclude<Decision, 'approve'>;
  risk_score: number;
  reasons: FiredRule[];
  anomaly_score: number | null;
  ruleset_version: string;
  model_version: string | null;
  /** The transaction's own timestamp. */
  event_time: string;
  /** When the service decided (the response's `evaluated_at`). */
  scored_at: string;
}

/** What a flag is built from: the transaction and the answer given for it. */
export interface FlagSource {
  transaction: { transaction_id: string; account_id: string; timestamp: string };
  response: {
    decision: Decision;
    risk_score: number;
    reasons: readonly FiredRule[];
    anomaly_score: number | null;
    ruleset_version: string;
    model_version: string | null;
    evaluated_at: string;
  };
}

/**
 * The flag for an answer, or null when the answer approves. Shadow rules never appear among
 * the reasons (the response keeps them apart already).
 */
export function buildRiskFlag({ transaction: tx, response: r }: FlagSource): RiskFlag | null {
  if (r.decision === 'approve') return null;
  return {
    schema: RISK_FLAG_SCHEMA,
    flag_id: flagIdFor(tx.transaction_id),
    transaction_id: tx.transaction_id,
    account_id: tx.account_id,
    decision: r.decision,
    risk_score: r.risk_score,
    reasons: r.reasons.map((f) => ({ ...f })),
    anomaly_score: r.anomaly_score,
    ruleset_version: r.ruleset_version,
    model_version: r.model_version,
    event_time: tx.timestamp,
    scored_at: r.evaluated_at,
  };
}

/** Namespace of flag ids (a random UUID chosen once; never change it, ids would change). */
const FLAG_NAMESPACE = 'f6d2f343-1e2d-4220-bd14-ec8fd59d0fdc';
const NAMESPACE_BYTES = Buffer.from(FLAG_NAMESPACE.replaceAll('-', ''), 'hex');

/**
 * A name-based UUID (version 5, RFC 9562 §5.5) of the transaction_id: deterministic, so a flag
 * appended twice (a retried write, a transaction scored again after a crash) keeps its id and
 * every deduplicating consumer sees it once.
 */
export function flagIdFor(transactionId: string): string {
  return nameBasedUuid(NAMESPACE_BYTES, transactionId);
}

/** RFC 9562 §5.5: the SHA-1 of namespace and name, with the version and variant bits set. */
export function nameBasedUuid(namespace: Buffer, name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50; // version 5
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // RFC variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
