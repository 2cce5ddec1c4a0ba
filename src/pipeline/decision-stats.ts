import type { Decision } from '../domain/decision.ts';
import type { ScoreResponse } from './score-response.ts';

/** One minute of scored transactions: the decision mix and the hits of each rule. */
export interface StatsBucket {
  /** Start of the minute, ms since the epoch (scoring time, not event time). */
  startMs: number;
  decisions: Record<Decision, number>;
  /** Hits by rule name, shadow rules included. */
  rules: Map<string, number>;
}

export const STATS_BUCKET_MS = 60_000;
/** Kept for a day: at most 1440 buckets, each a few counters per rule that fired in it. */
export const STATS_RETENTION_MS = 24 * 3_600_000;

export interface DecisionStats {
  add(response: Pick<ScoreResponse, 'decision' | 'reasons' | 'shadow_reasons'>): void;
  /** The buckets whose minute starts in [fromMs, toMs), oldest first (empty minutes left out). */
  range(fromMs: number, toMs: number): StatsBucket[];
}

/**
 * Decision mix and per-rule hits of this replica in one-minute buckets, for the console's rule
 * list ("hits in the last hour") and dashboards. Prometheus' `risk_rule_fired_total` is a
 * counter since start: a rate over the last hour needs its history, which the service cannot
 * read back; these buckets answer exactly, per replica, at the cost of a few map increments
 * per scored transaction.
 */
export function createDecisionStats(now: () => number = Date.now): DecisionStats {
  const buckets: StatsBucket[] = [];

  const current = (): StatsBucket => {
    const startMs = Math.floor(now() / STATS_BUCKET_MS) * STATS_BUCKET_MS;
    const last = buckets.at(-1);
    if (last !== undefined && last.startMs === startMs) return last;
    const fresh: StatsBucket = {
      startMs,
      decisions: { approve: 0, review: 0, decline: 0 },
      rules: new Map(),
    };
    buckets.push(fresh);
    while (buckets.length > 0 && (buckets[0]?.startMs ?? 0) <= startMs - STATS_RETENTION_MS)
      buckets.shift();
    return fresh;
  };

  return {
    add(response) {
      const b = current();
      b.decisions[response.decision] += 1;
      for (const r of response.reasons) b.rules.set(r.rule, (b.rules.get(r.rule) ?? 0) + 1);
      for (const r of response.shadow_reasons ?? [])
        b.rules.set(r.rule, (b.rules.get(r.rule) ?? 0) + 1);
    },
    range(fromMs, toMs) {
      return buckets.filter((b) => b.startMs >= fromMs && b.startMs < toMs);
    },
  };
}
