import { hash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { DecisionThresholds } from '../domain/decision.ts';
import { decide } from '../domain/decision.ts';
import { RiskError } from '../domain/errors.ts';
import { buildFacts } from '../domain/facts.ts';
import { buildRiskFlag } from '../domain/flag.ts';
import { windowInputOf } from '../domain/windows.ts';
import { decisionRecordOf } from '../domain/outcomes.ts';
import type { DecisionLogSink } from './decision-log.ts';
import type { VelocityFeatures } from '../domain/features.ts';
import { partitionShadow } from '../domain/rules/fired.ts';
import type { FiredRule } from '../domain/rules/types.ts';
import type { Transaction } from '../domain/transaction.ts';
import { eventTimeMs } from '../domain/transaction.ts';
import { scoreAnomaly } from './anomaly.ts';
import type { FraudModelSource } from './fraud-model-source.ts';
import { scoreFraud } from './fraud.ts';
import type { Clock } from './clock.ts';
import type { DecisionCache, StoredDecision } from './decision-cache.ts';
import type { FlagOutbox } from './flag-outbox.ts';
import type { Logger } from './logger.ts';
import type { RecentScored, ScoredSample } from './recent-scored.ts';
import type { ModelSource } from './model-source.ts';
import type { RulesetSource } from './ruleset-source.ts';
import type { DegradedReason, ScoreResponse } from './score-response.ts';
import type { ScoreTrace, Telemetry } from './telemetry.ts';
import { noTelemetry } from './telemetry.ts';
import type { VelocityStore } from './velocity-store.ts';
import type { WindowSink } from './window-sink.ts';

/** Event times further than this ahead of the wall clock are refused: they would trim history. */
export const MAX_FUTURE_SKEW_MS = 15 * 60_000;

export interface ScoreOutcome {
  response: ScoreResponse;
  /** True when the response is the stored answer to an earlier call with the same payload. */
  replayed: boolean;
}

export interface ScorerOptions {
  velocity: VelocityStore;
  decisions: DecisionCache;
  rules: RulesetSource;
  /** The anomaly model; none: `anomaly_score` and `model_version` are null. */
  models?: ModelSource;
  /** The supervised fraud model; none: the `fraud_probability` fact is null. */
  fraudModels?: FraudModelSource;
  clock: Clock;
  logger: Logger;
  thresholds: DecisionThresholds;
  /** Keeps what each scored transaction's rules saw, for backtests. */
  recent?: RecentScored;
  /**
   * Told of every scored transaction (replays excluded), synchronously: the console's live
   * feed. Must return at once (it only queues); what it throws is logged, never the caller's.
   */
  onScored?: (sample: ScoredSample) => void;
  /** Takes the flag of every answer that is not `approve`, durably, before the answer goes. */
  flags?: FlagOutbox;
  /** Folds every scored transaction (replays excluded) into the aggregate windows. */
  windows?: WindowSink;
  /** Logs every scored transaction (replays excluded), for rule performance against labels. */
  decisionLog?: DecisionLogSink;
  /** Times each stage (and traces it when tracing is on). */
  telemetry?: Telemetry;
}

export interface ScoreOptions {
  /** Also return, for each fired rule, its conditions with the fact values compared. */
  explain?: boolean;
  /** The front door the call came through (metrics count by it). */
  transport?: 'rest' | 'grpc';
  /** The caller's headers or metadata, where a trace context (`traceparent`) may be. */
  traceCarrier?: Readonly<Record<string, unknown>>;
}

export type Scorer = (tx: Transaction, options?: ScoreOptions) => Promise<ScoreOutcome>;

/**
 * The scoring use case: idempotency and enrich (together) → rules → decide → store. Failures of the stores
 * degrade the answer (and say so in `degraded_reasons`) instead of failing the call.
 */
export function createScorer(opts: ScorerOptions): Scorer {
  const { velocity, decisions, rules, models, clock, thresholds } = opts;
  const log = opts.logger.child({ component: 'scorer' });
  const telemetry = opts.telemetry ?? noTelemetry;

  /*
   * Calls in flight in this process, by transaction_id. A second call with the same id while
   * the first is being scored does not score again: with another payload it is a conflict at
   * once, with the same payload it gets the first call's answer as a replay. Either way it
   * emits nothing (no flag, no window), whatever the idempotency store can tell yet.
   */
  const inFlight = new Map<string, { payloadHash: string; outcome: Promise<ScoreOutcome> }>();

  async function scoreOnce(
    tx: Transaction,
    trace: ScoreTrace,
    options: ScoreOptions | undefined,
  ): Promise<ScoreOutcome> {
    const payloadHash = hashPayload(tx);
    const running = inFlight.get(tx.transaction_id);
    if (running !== undefined) {
      if (running.payloadHash !== payloadHash) throw idempotencyConflict(tx.transaction_id);
      const first = await running.outcome.then(
        (o) => o,
        () => null,
      );
      if (first !== null) {
        const { explanation: _explanation, ...response } = first.response;
        return { response, replayed: true };
      }
      // The first call failed (validation aside, an internal error): this one scores afresh.
    }
    const outcome = scoreTraced(tx, payloadHash, trace, options);
    const entry = { payloadHash, outcome };
    inFlight.set(tx.transaction_id, entry);
    try {
      return await outcome;
    } finally {
      if (inFlight.get(tx.transaction_id) === entry) inFlight.delete(tx.transaction_id);
    }
  }

  return async function score(tx: Transaction, options?: ScoreOptions): Promise<ScoreOutcome> {
    const trace = telemetry.start(tx, options?.traceCarrier);
    try {
      const outcome = await scoreOnce(tx, trace, options);
      trace.end(outcome);
      return outcome;
    } catch (error) {
      trace.end({ error });
      throw error;
    }
  };

  /**
   * The idempotency lookup, the velocity update and the claim: one call where the velocity store
   * keeps the idempotency records too (one Redis: one script instead of three commands, and a
   * replay or a conflict records nothing), else the three calls together. A failed single call
   * fails all three (they share one Redis).
   */
  async function firstStep(
    tx: Transaction,
    payloadHash: string,
  ): Promise<
    [
      PromiseSettledResult<StoredDecision | null>,
      PromiseSettledResult<VelocityFeatures>,
      PromiseSettledResult<string | undefined>,
    ]
  > {
    if (velocity.recordFirst === undefined) {
      return Promise.allSettled([
        decisions.get(tx.transaction_id),
        velocity.record(tx),
        decisions.claim?.(tx.transaction_id, payloadHash),
      ]);
    }
    // Not read when the answer is a replay or a conflict.
    const noFeatures = { status: 'fulfilled', value: {} } as const;
    try {
      const first = await velocity.recordFirst(tx, payloadHash);
      if (first.kind === 'stored') {
        const noClaim = { status: 'fulfilled', value: undefined } as const;
        return [{ status: 'fulfilled', value: first.stored }, noFeatures, noClaim];
      }
      const lookup = { status: 'fulfilled', value: null } as const;
      if (first.kind === 'claimed') {
        return [lookup, noFeatures, { status: 'fulfilled', value: first.payloadHash }];
      }
      return [
        lookup,
        { status: 'fulfilled', value: first.features },
        { status: 'fulfilled', value: payloadHash },
      ];
    } catch (reason) {
      const failed = { status: 'rejected', reason } as const;
      return [failed, failed, failed];
    }
  }

  function notifyScored(sample: ScoredSample): void {
    try {
      opts.onScored?.(sample);
    } catch (err) {
      log.error({ err, transaction_id: sample.transaction.transaction_id }, 'onScored failed');
    }
  }

  async function scoreTraced(
    tx: Transaction,
    payloadHash: string,
    trace: ScoreTrace,
    options: ScoreOptions | undefined,
  ): Promise<ScoreOutcome> {
    const now = clock.now();
    const eventMs = eventTimeMs(tx);
    if (eventMs > now + MAX_FUTURE_SKEW_MS) {
      throw new RiskError(
        'RISK_ERR_VALIDATION',
        'timestamp is more than 15 minutes in the future',
        [{ field: '/timestamp', message: 'must not be more than 15 minutes in the future' }],
      );
    }
    const degraded: DegradedReason[] = [];

    // The idempotency lookup and the velocity update go out together (one round trip, not
    // two). That is safe for a replay: the velocity store counts a transaction_id only once, so
    // recording it again changes nothing, and the stored answer is returned below.
    const featuresDone = trace.begin('features');
    // The claim goes in the same round trip: it costs no latency and stops a call with another
    // payload under this id, in another replica, before it stores a flag.
    const [lookup, enriched, claimed] = await firstStep(tx, payloadHash);
    featuresDone();
    let cacheUp = true;
    if (lookup.status === 'rejected') {
      cacheUp = false;
      degraded.push('idempotency_unavailable');
      log.warn(
        { err: lookup.reason as unknown, transaction_id: tx.transaction_id },
        'idempotency lookup failed',
      );
    } else if (lookup.value !== null) {
      return replay(lookup.value, payloadHash, tx.transaction_id);
    }
    // Another payload holds the claim and has no stored answer yet: it is being scored now.
    if (claimed.status === 'fulfilled' && claimed.value !== undefined) {
      if (claimed.value !== payloadHash) throw idempotencyConflict(tx.transaction_id);
    }
    let features: VelocityFeatures = {};
    if (enriched.status === 'fulfilled') {
      features = enriched.value;
    } else {
      degraded.push('velocity_unavailable');
      log.warn(
        { err: enriched.reason as unknown, transaction_id: tx.transaction_id },
        'velocity features unavailable',
      );
    }

    const ruleset = rules.current();
    const modelDone = trace.begin('model');
    const anomaly = scoreAnomaly(
      models,
      tx,
      features,
      enriched.status === 'fulfilled',
      degraded,
      log,
    );
    const fraudProbability = scoreFraud(
      opts.fraudModels,
      tx,
      features,
      enriched.status === 'fulfilled',
      degraded,
      log,
    );
    modelDone();
    const rulesDone = trace.begin('rules');
    const facts = buildFacts(tx, features, anomaly.score, fraudProbability);
    const evaluated = ruleset.evaluate(facts);
    const fired: readonly FiredRule[] = evaluated instanceof Promise ? await evaluated : evaluated;
    rulesDone();
    // Shadow rules are reported apart and never count towards the score or the decision.
    const { acting: reasons, shadow } = partitionShadow(fired);
    const { decision, risk_score } = decide(reasons, thresholds);

    const response: ScoreResponse = {
      transaction_id: tx.transaction_id,
      decision,
      risk_score,
      risk_flag: decision !== 'approve',
      reasons: [...reasons],
      anomaly_score: anomaly.score,
      features,
      ruleset_version: ruleset.version,
      model_version: anomaly.version,
      degraded: degraded.length > 0,
      evaluated_at: new Date(now).toISOString(),
    };
    if (shadow.length > 0) response.shadow_reasons = shadow;
    if (degraded.length > 0) response.degraded_reasons = degraded;
    const sample = {
      transaction: tx,
      features,
      anomaly_score: anomaly.score,
      fraud_probability: fraudProbability,
      response,
    };
    opts.recent?.add(sample);
    if (opts.onScored !== undefined) notifyScored(sample);

    // The flag is stored before the decision: after a crash between the two, the caller's retry
    // is scored again (no stored decision) and appends the same flag_id, so none is lost.
    const flag = opts.flags === undefined ? null : buildRiskFlag({ transaction: tx, response });
    if (flag !== null) {
      const flagDone = trace.begin('flag');
      try {
        await opts.flags?.append(flag);
        flagDone();
      } catch (err) {
        flagDone();
        log.error({ err, transaction_id: tx.transaction_id }, 'the flag could not be stored');
        response.degraded = true;
        response.degraded_reasons = [...(response.degraded_reasons ?? []), 'flag_unavailable'];
      }
    }
    const fold = (): void => {
      opts.windows?.add(windowInputOf(tx, response));
      opts.decisionLog?.add(decisionRecordOf(tx, eventMs, response));
    };

    const explanation = options?.explain === true ? ruleset.explain?.(facts) : undefined;
    const answer = (r: ScoreResponse): ScoreOutcome => ({
      response: explanation === undefined ? r : { ...r, explanation },
      replayed: false,
    });

    if (!cacheUp) {
      fold();
      return answer(response);
    }
    const storeDone = trace.begin('decision_store');
    let kept: StoredDecision | undefined;
    try {
      kept = await decisions.putIfAbsent(tx.transaction_id, { payloadHash, response });
      storeDone();
    } catch (err) {
      storeDone();
      log.warn({ err, transaction_id: tx.transaction_id }, 'storing the decision failed');
      response.degraded = true;
      response.degraded_reasons = [
        ...(response.degraded_reasons ?? degraded),
        'idempotency_unavailable',
      ];
    }
    // A concurrent call with the same id (in another replica) stored its answer first:
    // everyone gets that one (or a conflict, for another payload), and only that call counts
    // the transaction in the windows. Outside the try: a conflict is not a store failure.
    if (kept !== undefined && kept.response !== response) {
      return replay(kept, payloadHash, tx.transaction_id);
    }
    fold();
    return answer(response);
  }
}

function idempotencyConflict(id: string): RiskError {
  return new RiskError(
    'RISK_ERR_IDEMPOTENCY_CONFLICT',
    `transaction_id "${id}" was already scored with a different payload`,
    [{ field: '/transaction_id', message: 'already used with a different payload' }],
  );
}

function replay(stored: StoredDecision, payloadHash: string, id: string): ScoreOutcome {
  if (stored.payloadHash !== payloadHash) throw idempotencyConflict(id);
  return { response: stored.response, replayed: true };
}

/**
 * Canonical hash of the validated transaction (defaults applied, keys sorted). The one-shot
 * `crypto.hash` builds no Hash object per call (about a third less time than createHash for a
 * transaction's few hundred bytes); the digest is the same.
 */
export function hashPayload(tx: Transaction): string {
  // A transaction is an object: stringify always gives a text for it.
  return hash('sha256', stringify(tx) ?? '', 'base64url');
}
