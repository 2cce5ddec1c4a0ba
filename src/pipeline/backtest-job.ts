import type { DecisionThresholds } from '../domain/decision.ts';
import { buildFacts } from '../domain/facts.ts';
import type { VelocityFeatures } from '../domain/features.ts';
import type { BacktestReport, BacktestSample, ChangedPage } from '../domain/rules/backtest.ts';
import { backtest } from '../domain/rules/backtest.ts';
import { compileRuleset } from '../domain/rules/compile.ts';
import type { RiskRule } from '../domain/rules/types.ts';
import type { Label } from '../domain/outcomes.ts';
import type { Transaction } from '../domain/transaction.ts';
import { eventTimeMs } from '../domain/transaction.ts';
import type { ScoredSample } from './recent-scored.ts';
import type { VelocityStore } from './velocity-store.ts';

/**
 * One backtest as plain data, so that it can be handed to a worker thread (structured clone):
 * the rulesets already validated, and either transactions to replay or samples already scored.
 */
export interface BacktestJob {
  candidate: RiskRule[];
  active: { rules: RiskRule[]; version: number };
  thresholds: DecisionThresholds;
  /** Replayed in event-time order through a fresh velocity store: features among themselves. */
  transactions?: Transaction[];
  /** Otherwise these, with the features and anomaly score they were scored with. */
  samples?: ScoredSample[];
  /** Outcome labels by transaction_id, for the samples that have one. */
  labels?: Record<string, Label>;
  /** Which changed decisions to list (default: the first 1,000). */
  changedPage?: ChangedPage;
}

/** What running a job needs besides its data. */
export interface BacktestDeps {
  newVelocityStore: () => VelocityStore;
  /** Scores a transaction with the active model; null without one. */
  anomalyScore: (tx: Transaction, features: VelocityFeatures) => number | null;
}

/** Rule names and shadow names of a ruleset, with its compiled evaluator. */
function prepare(rules: readonly RiskRule[], version: string) {
  return {
    ...compileRuleset(rules, version),
    ruleNames: rules.map((r) => r.name),
    shadowRules: new Set(rules.filter((r) => r.event.params?.shadow === true).map((r) => r.name)),
  };
}

async function samplesOf(job: BacktestJob, deps: BacktestDeps): Promise<BacktestSample[]> {
  if (job.transactions !== undefined) {
    const ordered = [...job.transactions].sort((a, b) => eventTimeMs(a) - eventTimeMs(b));
    const velocity = deps.newVelocityStore();
    try {
      const out: BacktestSample[] = [];
      for (const tx of ordered) {
        const features = await velocity.record(tx);
        out.push({
          transaction_id: tx.transaction_id,
          facts: buildFacts(tx, features, deps.anomalyScore(tx, features)),
          ...labelOf(job, tx.transaction_id),
        });
      }
      return out;
    } finally {
      await velocity.close();
    }
  }
  return (job.samples ?? []).map((s) => ({
    transaction_id: s.transaction.transaction_id,
    facts: buildFacts(s.transaction, s.features, s.anomaly_score, s.fraud_probability ?? null),
    ...labelOf(job, s.transaction.transaction_id),
  }));
}

function labelOf(job: BacktestJob, id: string): { label?: Label } {
  const label =
    job.labels === undefined
      ? undefined
      : Object.hasOwn(job.labels, id)
        ? job.labels[id]
        : undefined;
  return label === undefined ? {} : { label };
}

/** Replays or reads the samples, then evaluates both rulesets on them (domain/rules/backtest). */
export async function runBacktestJob(
  job: BacktestJob,
  deps: BacktestDeps,
): Promise<BacktestReport> {
  const samples = await samplesOf(job, deps);
  return backtest(
    prepare(job.candidate, 'candidate'),
    prepare(job.active.rules, String(job.active.version)),
    samples,
    job.thresholds,
    job.changedPage,
  );
}
