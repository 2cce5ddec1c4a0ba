import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isRiskError } from '../domain/errors.ts';
import type { ScoreResponse } from '../pipeline/score-response.ts';
import type { Scorer } from '../pipeline/score.ts';

export type Transport = 'rest' | 'grpc';

export interface ServiceMetrics {
  registry: Registry;
  /** `risk_stage_duration_seconds{stage}`, fed by the scorer's telemetry. */
  stageSeconds: Histogram<'stage'>;
  observeScore(
    response: ScoreResponse,
    seconds: number,
    replayed: boolean,
    transport: Transport,
  ): void;
  observeError(code: string, transport: Transport): void;
  /** A failed call to Redis, PostgreSQL or Kafka (or the embedded stores standing in for them). */
  dependencyError(dependency: string): void;
  /** Reports the active model version on every scrape. */
  watchModel(version: () => string | null): void;
  /** The ruleset version now evaluating (after every swap). */
  observeRuleset(version: string, rules: number): void;
  /** An edit of the rules directory (embedded mode) left it invalid and was ignored. */
  rulesDirRejected(): void;
}

/**
 * One registry per app instance (not prom-client's global one), so that tests can build several
 * apps in one process. Metric names follow Prometheus conventions with the `risk_` prefix.
 */
export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'risk_decisions_total',
    help: 'Scored transactions by decision and front door (idempotent replays excluded)',
    labelNames: ['decision', 'transport'] as const,
    registers: [registry],
  });
  const replays = new Counter({
    name: 'risk_idempotent_replays_total',
    help: 'Scoring calls answered with the stored response of an earlier call',
    registers: [registry],
  });
  const degraded = new Counter({
    name: 'risk_degraded_total',
    help: 'Scored transactions answered in degraded mode, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const fired = new Counter({
    name: 'risk_rule_fired_total',
    help: 'Rules fired, by rule name; shadow="true" for shadow rules (never counted in decisions)',
    labelNames: ['rule', 'shadow'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'risk_score_duration_seconds',
    help: 'Time to score one transaction inside the service (pipeline only)',
    buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'risk_score_errors_total',
    help: 'Scoring calls that failed, by error code and front door',
    labelNames: ['code', 'transport'] as const,
    registers: [registry],
  });
  const rulesetInfo = new Gauge({
    name: 'risk_ruleset_info',
    help: 'The ruleset version being evaluated (value 1), with its rule count',
    labelNames: ['version', 'rules'] as const,
    registers: [registry],
  });
  const rulesetSwaps = new Counter({
    name: 'risk_ruleset_swaps_total',
    help: 'Ruleset versions swapped in (published, rolled back, or loaded at start)',
    registers: [registry],
  });
  const rulesDirRejected = new Counter({
    name: 'risk_rules_dir_rejected_total',
    help: 'Edits of the rules directory ignored because they left it invalid (embedded mode)',
    registers: [registry],
  });
  const stageSeconds = new Histogram({
    name: 'risk_stage_duration_seconds',
    help: 'Time spent in each stage of scoring: features (idempotency lookup and velocity, one round trip), model, rules, flag (outbox), decision_store',
    labelNames: ['stage'] as const,
    buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1],
    registers: [registry],
  });
  const dependencyErrors = new Counter({
    name: 'risk_dependency_errors_total',
    help: 'Failed calls to a dependency: redis, postgres (or embedded-db), kafka',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });
  // Present from the start at zero, so that dashboards and alerts see the series before a
  // first error.
  for (const dependency of ['redis', 'postgres', 'kafka']) dependencyErrors.inc({ dependency }, 0);
  let modelVersion: () => string | null = () => null;
  new Gauge({
    name: 'risk_model_info',
    help: 'The anomaly model being used (value 1); none when no model is loaded',
    labelNames: ['version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ version: modelVersion() ?? 'none' }, 1);
    },
  });
  return {
    registry,
    stageSeconds,
    dependencyError(dependency) {
      dependencyErrors.inc({ dependency });
    },
    watchModel(version) {
      modelVersion = version;
    },
    rulesDirRejected() {
      rulesDirRejected.inc();
    },
    observeRuleset(version, rules) {
      rulesetInfo.reset();
      rulesetInfo.set({ version, rules: String(rules) }, 1);
      rulesetSwaps.inc();
    },
    observeScore(response, seconds, replayed, transport) {
      if (replayed) {
        replays.inc();
        return;
      }
      duration.observe(seconds);
      decisions.inc({ decision: response.decision, transport });
      for (const r of response.reasons) fired.inc({ rule: r.rule, shadow: 'false' });
      for (const r of response.shadow_reasons ?? []) fired.inc({ rule: r.rule, shadow: 'true' });
      for (const r of response.degraded_reasons ?? []) degraded.inc({ reason: r });
    },
    observeError(code, transport) {
      errors.inc({ code, transport });
    },
  };
}

/** Counts every scoring call, whichever front door it came through. */
export function instrumentScorer(score: Scorer, metrics: ServiceMetrics): Scorer {
  return async (tx, options) => {
    const start = process.hrtime.bigint();
    try {
      const outcome = await score(tx, options);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.observeScore(
        outcome.response,
        seconds,
        outcome.replayed,
        options?.transport ?? 'rest',
      );
      return outcome;
    } catch (err) {
      metrics.observeError(
        isRiskError(err) ? err.code : 'RISK_ERR_INTERNAL',
        options?.transport ?? 'rest',
      );
      throw err;
    }
  };
}
