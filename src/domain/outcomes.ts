import type { Decision } from './decision.ts';
import { nameBasedUuid } from './flag.ts';
import type { Transaction } from './transaction.ts';

/*
 * Outcomes: what became of scored transactions (a chargeback, a customer report, an analyst's
 * verdict) and what that says about each rule. A rule's precision is the share of its labelled
 * hits that were fraud; its recall is the share of the labelled frauds it hit. Both are over
 * the transactions whose event time lies in the asked range, and null when their denominator
 * is zero (nothing labelled yet is not 0 %).
 */

export const LABELS = ['fraud', 'legit'] as const;
export type Label = (typeof LABELS)[number];

/** One scored transaction as the decision log keeps it (replays are not logged again). */
export interface DecisionRecord {
  transaction_id: string;
  /** Event time (the transaction's `timestamp`), epoch ms: ranges select on it. */
  event_time_ms: number;
  account_id: string;
  decision: Decision;
  risk_score: number;
  /** The rules that fired and acted, in firing order. */
  rules: readonly string[];
  /** Shadow rules that fired (evaluated, not acting). */
  shadow_rules: readonly string[];
  ruleset_version: string;
}

export interface LabelInput {
  transaction_id: string;
  label: Label;
  /** Who says so, e.g. `chargeback`, `customer`, `case`. */
  source?: string;
  /** When the outcome was reported (RFC 3339); the service's clock when absent. */
  reported_at?: string;
}

/** What a bulk label call did. */
export interface LabelsResult {
  accepted: number;
  /** Labels whose transaction_id the decision log has. */
  matched: number;
  /** The ids the service never scored (or not yet logged): kept, they may match later. */
  unmatched: string[];
}

export interface RuleCounts {
  rule: string;
  shadow: boolean;
  hits: number;
  labelled_hits: number;
  fraud_hits: number;
}

/** The raw counts a store computes for a range; `performanceOf` turns them into ratios. */
export interface PerformanceCounts {
  transactions: number;
  labelled: number;
  frauds: number;
  /** decision ≠ approve */
  flagged: number;
  labelled_flagged: number;
  fraud_flagged: number;
  rules: RuleCounts[];
}

export interface RulePerformance extends RuleCounts {
  precision: number | null;
  recall: number | null;
}

export interface Performance {
  transactions: number;
  labelled: number;
  frauds: number;
  /** The decision as a whole: flagged (review or decline) against fraud. */
  decision: {
    flagged: number;
    labelled_flagged: number;
    fraud_flagged: number;
    precision: number | null;
    recall: number | null;
  };
  rules: RulePerformance[];
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

export function performanceOf(c: PerformanceCounts): Performance {
  return {
    transactions: c.transactions,
    labelled: c.labelled,
    frauds: c.frauds,
    decision: {
      flagged: c.flagged,
      labelled_flagged: c.labelled_flagged,
      fraud_flagged: c.fraud_flagged,
      precision: ratio(c.fraud_flagged, c.labelled_flagged),
      recall: ratio(c.fraud_flagged, c.frauds),
    },
    rules: [...c.rules]
      .sort((a, b) => Number(a.shadow) - Number(b.shadow) || (a.rule < b.rule ? -1 : 1))
      .map((r) => ({
        ...r,
        precision: ratio(r.fraud_hits, r.labelled_hits),
        recall: ratio(r.fraud_hits, c.frauds),
      })),
  };
}

/**
 * The counts over decisions and their current labels, in memory: the memory store uses it,
 * and it is the reference the SQL stores are tested against.
 */
export function countPerformance(
  decisions: Iterable<DecisionRecord>,
  labelOf: (transactionId: string) => Label | undefined,
): PerformanceCounts {
  const c: PerformanceCounts = {
    transactions: 0,
    labelled: 0,
    frauds: 0,
    flagged: 0,
    labelled_flagged: 0,
    fraud_flagged: 0,
    rules: [],
  };
  const byRule = new Map<string, RuleCounts>();
  const hit = (rule: string, shadow: boolean, label: Label | undefined): void => {
    const key = `${shadow ? 's' : 'a'}:${rule}`;
    let r = byRule.get(key);
    if (r === undefined) {
      r = { rule, shadow, hits: 0, labelled_hits: 0, fraud_hits: 0 };
      byRule.set(key, r);
    }
    r.hits++;
    if (label !== undefined) r.labelled_hits++;
    if (label === 'fraud') r.fraud_hits++;
  };
  for (const d of decisions) {
    const label = labelOf(d.transaction_id);
    c.transactions++;
    if (label !== undefined) c.labelled++;
    if (label === 'fraud') c.frauds++;
    if (d.decision !== 'approve') {
      c.flagged++;
      if (label !== undefined) c.labelled_flagged++;
      if (label === 'fraud') c.fraud_flagged++;
    }
    // A rule counts once per transaction, however it is listed.
    for (const rule of new Set(d.rules)) hit(rule, false, label);
    for (const rule of new Set(d.shadow_rules)) hit(rule, true, label);
  }
  c.rules = [...byRule.values()];
  return c;
}

/** What the decision log keeps of a scored transaction and its answer. */
export function decisionRecordOf(
  tx: Transaction,
  /** The transaction's event time, as the scorer has read it already. */
  eventTimeMs: number,
  response: {
    decision: Decision;
    risk_score: number;
    reasons: ReadonlyArray<{ rule: string }>;
    shadow_reasons?: ReadonlyArray<{ rule: string }>;
    ruleset_version: string;
  },
): DecisionRecord {
  return {
    transaction_id: tx.transaction_id,
    event_time_ms: eventTimeMs,
    account_id: tx.account_id,
    decision: response.decision,
    risk_score: response.risk_score,
    rules: response.reasons.map((r) => r.rule),
    shadow_rules: (response.shadow_reasons ?? []).map((r) => r.rule),
    ruleset_version: response.ruleset_version,
  };
}

/*
 * Review cases: a `review` decision (and, if so configured, a `decline`) opens one case per
 * transaction, which an analyst claims and resolves as fraud or legit; the resolution is also
 * a label (source `case`).
 */

export const CASE_STATUSES = ['open', 'claimed', 'resolved'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface Case {
  case_id: string;
  transaction_id: string;
  status: CaseStatus;
  decision: Decision;
  risk_score: number;
  /** The rules that fired, in firing order. */
  reasons: string[];
  opened_at: string;
  assignee?: string;
  claimed_at?: string;
  outcome?: Label;
  comment?: string;
  resolved_at?: string;
}

/** A decision as the log writes it: with whether it opens a case. */
export interface LoggedDecision extends DecisionRecord {
  /** Set when the decision opens a case: its id (name-based on the transaction_id). */
  case_id?: string;
}

export interface CaseStats {
  open: number;
  claimed: number;
  /** When the oldest case not yet resolved was opened (epoch ms); null when none is. */
  oldest_unresolved_ms: number | null;
}

/** Namespace of case ids (a random UUID chosen once; never change it, ids would change). */
const CASE_NAMESPACE = Buffer.from('3f0c3a52d8a44c7e9a51f0e6c2b7d913', 'hex');

/** The case of a transaction has one id whatever replica opens it, however often. */
export function caseIdFor(transactionId: string): string {
  return nameBasedUuid(CASE_NAMESPACE, transactionId);
}
