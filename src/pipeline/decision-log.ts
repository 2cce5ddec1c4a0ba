import type { Decision } from '../domain/decision.ts';
import type {
  Case,
  CaseStats,
  CaseStatus,
  DecisionRecord,
  Label,
  LabelInput,
  LabelsResult,
  LoggedDecision,
  PerformanceCounts,
} from '../domain/outcomes.ts';
import { caseIdFor } from '../domain/outcomes.ts';
import type { BackoffPolicy } from './backoff.ts';
import { backoffDelay } from './backoff.ts';
import type { Logger } from './logger.ts';
import { RiskError } from '../domain/errors.ts';

/** One label as received, for a transaction's label history. */
export interface LabelEvent {
  transaction_id: string;
  label: LabelInput['label'];
  source: string;
  reported_at: string;
  received_at: string;
}

/**
 * Where scored transactions and their outcome labels are kept (the rules database: PostgreSQL,
 * embedded SQLite, or memory), so that each rule's precision and recall can be measured.
 */
export interface DecisionLogStore {
  /**
   * Adds decisions, and the case of each that carries a `case_id`; a decision (or case)
   * already there under its transaction_id is left as it is, so a retried batch, or the same
   * transaction logged by two replicas, opens one case.
   */
  append(records: readonly LoggedDecision[]): Promise<void>;
  /**
   * Adds labels in order (the last label of an id wins; every label stays in the history).
   * `receivedAtMs` stamps them; a label without `reported_at` is reported at that time.
   */
  putLabels(labels: readonly LabelInput[], receivedAtMs: number): Promise<LabelsResult>;
  /** The current label of each of these transactions that has one. */
  currentLabels(transactionIds: readonly string[]): Promise<Record<string, Label>>;
  /** Every label received for one transaction, oldest first. */
  labelHistory(transactionId: string): Promise<LabelEvent[]>;
  /** Counts over the decisions whose event time lies in [fromMs, toMs), with current labels. */
  performance(fromMs: number, toMs: number): Promise<PerformanceCounts>;
  /** Cases with this status, oldest opened first. */
  listCases(status: CaseStatus, limit: number): Promise<Case[]>;
  getCase(caseId: string): Promise<Case | undefined>;
  /**
   * Takes an open case for `actor` (again by the same actor: unchanged). RISK_ERR_NOT_FOUND,
   * or RISK_ERR_CONFLICT when someone else holds it or it is resolved.
   */
  claimCase(caseId: string, actor: string, nowMs: number): Promise<Case>;
  /**
   * Resolves a case that is open or held by `actor`, and records the outcome as the
   * transaction's label (source `case`), in one transaction. RISK_ERR_CONFLICT when another
   * holds it or it is resolved already.
   */
  resolveCase(
    caseId: string,
    actor: string,
    outcome: Label,
    comment: string,
    nowMs: number,
  ): Promise<Case>;
  caseStats(): Promise<CaseStats>;
}

/** The refusals every store gives for a case, worded once. */
export const caseRefusals = {
  notFound: (caseId: string) => new RiskError('RISK_ERR_NOT_FOUND', `no case ${caseId}`),
  heldBy: (c: Case) =>
    new RiskError('RISK_ERR_CONFLICT', `case ${c.case_id} is claimed by ${c.assignee ?? '?'}`, [
      { field: '/case_id', message: `claimed by ${c.assignee ?? '?'}` },
    ]),
  resolved: (c: Case) =>
    new RiskError(
      'RISK_ERR_CONFLICT',
      `case ${c.case_id} is resolved already (${c.outcome ?? '?'})`,
      [{ field: '/case_id', message: 'resolved already' }],
    ),
};

/** Why `actor` may not claim or resolve `c`, or null when they may. */
export function caseRefusal(c: Case, actor: string): RiskError | null {
  if (c.status === 'resolved') return caseRefusals.resolved(c);
  if (c.status === 'claimed' && c.assignee !== actor) return caseRefusals.heldBy(c);
  return null;
}

export interface DecisionLogObserver {
  written(records: number): void;
  failed(): void;
  dropped(records: number): void;
}

export interface DecisionLogOptions {
  store: DecisionLogStore;
  logger: Logger;
  flushIntervalMs?: number;
  /** Records held while the store fails; beyond, new ones are dropped and counted. */
  maxBuffered?: number;
  /** Records per write. */
  batchSize?: number;
  /** The decisions that open a review case (default: review). */
  caseDecisions?: ReadonlySet<Decision>;
  observer?: DecisionLogObserver;
  backoff?: BackoffPolicy;
}

/** Where the scorer logs every scored transaction (replays excluded). Never blocks scoring. */
export interface DecisionLogSink {
  add(record: DecisionRecord): void;
}

export interface DecisionLog extends DecisionLogSink {
  start(): void;
  /** One write attempt of the oldest batch. True when nothing is left to write. */
  flush(): Promise<boolean>;
  buffered(): number;
  /** Stops the timer, then writes everything, retrying until `deadlineMs`. */
  close(deadlineMs: number): Promise<boolean>;
}

/**
 * Scored transactions buffered in memory and written in batches every `flushIntervalMs`, off
 * the scoring path. A write that fails keeps its batch and is retried after a backoff; since
 * the store ignores a transaction_id it already has, a retry of a batch that was in fact
 * written changes nothing.
 */
export function createDecisionLog(opts: DecisionLogOptions): DecisionLog {
  const { store, observer } = opts;
  const log = opts.logger.child({ component: 'decision-log' });
  const flushIntervalMs = opts.flushIntervalMs ?? 1000;
  const maxBuffered = opts.maxBuffered ?? 200_000;
  const batchSize = opts.batchSize ?? 2000;
  const backoff = opts.backoff ?? { minMs: flushIntervalMs, maxMs: 30_000 };
  const caseDecisions = opts.caseDecisions ?? new Set<Decision>(['review']);
  let buffer: LoggedDecision[] = [];
  let failures = 0;
  let nextAttemptAt = 0;
  let flushing: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastLog = 0;

  const rateLimited = (fn: () => void): void => {
    const now = Date.now();
    if (now - lastLog >= 10_000) {
      lastLog = now;
      fn();
    }
  };

  async function attempt(): Promise<boolean> {
    if (buffer.length === 0) return true;
    const batch = buffer.slice(0, batchSize);
    try {
      await store.append(batch);
    } catch (err) {
      failures += 1;
      nextAttemptAt = Date.now() + backoffDelay(failures, backoff);
      observer?.failed();
      rateLimited(() =>
        log.warn(
          {
            err: err instanceof Error ? err.message : String(err),
            failures,
            buffered: buffer.length,
          },
          'writing the decision log failed; the batch is kept and retried',
        ),
      );
      return false;
    }
    // New records were appended behind the batch meanwhile: drop exactly the batch.
    buffer = buffer.slice(batch.length);
    if (failures > 0) log.info({ after_failures: failures }, 'decision log written again');
    failures = 0;
    nextAttemptAt = 0;
    observer?.written(batch.length);
    return buffer.length === 0;
  }

  function flush(): Promise<boolean> {
    flushing ??= attempt().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    add(record) {
      if (buffer.length >= maxBuffered) {
        observer?.dropped(1);
        rateLimited(() =>
          log.error(
            { max_buffered: maxBuffered },
            'decision log buffer full (the store has been failing): new decisions are not logged',
          ),
        );
        return;
      }
      buffer.push(
        caseDecisions.has(record.decision)
          ? { ...record, case_id: caseIdFor(record.transaction_id) }
          : record,
      );
    },
    start() {
      timer ??= setInterval(() => {
        if (Date.now() < nextAttemptAt) return;
        void flush().then(async (done) => {
          // A backlog after an outage goes out batch after batch, not one per interval.
          while (!done && failures === 0) done = await flush();
        });
      }, flushIntervalMs);
      timer.unref();
    },
    flush,
    buffered: () => buffer.length,
    async close(deadlineMs) {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      while (Date.now() < deadlineMs) {
        await flushing;
        if (await flush()) return true;
        if (failures > 0) {
          const wait = Math.min(nextAttemptAt, deadlineMs) - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }
      if (buffer.length > 0)
        log.error({ unwritten: buffer.length }, 'decisions not logged before the deadline');
      return buffer.length === 0;
    },
  };
}
