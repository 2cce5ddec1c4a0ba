import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CaseEvent } from '../domain/case-event.ts';
import type { CaseStats } from '../domain/outcomes.ts';
import type { DecisionLogObserver } from '../pipeline/decision-log.ts';
import type { OutboxStats, OutboxStore } from '../pipeline/flag-outbox.ts';
import type { RelayObserver } from '../pipeline/flag-relay.ts';
import type { WindowBufferStats, WindowObserver } from '../pipeline/window-buffer.ts';

export interface EmitMetrics {
  relay: RelayObserver;
  caseEventRelay: RelayObserver<CaseEvent>;
  windows: WindowObserver;
  decisionLog: DecisionLogObserver;
  /** Reports the decision log's backlog and the case queue on every scrape. */
  watchDecisionLog(buffered: () => number, cases: () => Promise<CaseStats>): void;
  /** A flag the local file outbox took because PostgreSQL did not. */
  flagFallback(): void;
  /** Reports these outboxes' depth and age on every scrape. */
  watchOutboxes(stores: readonly OutboxStore[]): void;
  /**
   * Reports the case event outbox's depth and age on every scrape (kind `case_events`);
   * `destination` is what a failed publish counts against in `risk_dependency_errors_total`.
   */
  watchCaseEventOutbox(store: OutboxStore<CaseEvent>, destination: 'kafka' | 'file'): void;
  watchWindows(stats: () => WindowBufferStats): void;
}

interface OutboxFigures {
  kind: string;
  outbox: string;
  stats: OutboxStats;
}

/** Metrics of the flag outbox and relay and of the window buffer, on the app's registry. */
export function createEmitMetrics(
  registry: Registry,
  dependencyError: (dependency: string) => void = () => undefined,
  /** What the window store writes to, as `risk_dependency_errors_total` names it. */
  windowStore = 'postgres',
): EmitMetrics {
  const registers = [registry];
  let outboxes: readonly OutboxStore[] = [];
  let caseEventOutbox: OutboxStore<CaseEvent> | undefined;
  let caseEventsTo: 'kafka' | 'file' = 'kafka';
  /** The last scrape's figures of every outbox by kind, so that the two gauges read one query. */
  let lastOutboxes: Promise<OutboxFigures[]> = Promise.resolve([]);
  const outboxFigures = async (): Promise<OutboxFigures[]> => {
    const all: Array<{ kind: string; store: { name: string; stats(): Promise<OutboxStats> } }> =
      outboxes.map((store) => ({ kind: 'flags', store }));
    if (caseEventOutbox !== undefined) all.push({ kind: 'case_events', store: caseEventOutbox });
    const figures = await Promise.all(
      all.map(async ({ kind, store }) => {
        const stats = await store.stats().catch(() => null);
        return stats === null ? null : { kind, outbox: store.name, stats };
      }),
    );
    return figures.filter((f) => f !== null);
  };
  let windowStats: (() => WindowBufferStats) | undefined;
  let decisionsBuffered: (() => number) | undefined;
  let caseStats: (() => Promise<CaseStats>) | undefined;
  /** The last scrape's case figures, so that the two gauges read one query. */
  let lastCases: Promise<CaseStats | undefined> = Promise.resolve(undefined);
  new Gauge({
    name: 'risk_cases',
    help: 'Review cases not yet resolved, by status (open, claimed)',
    labelNames: ['status'],
    registers,
    async collect() {
      lastCases = caseStats?.().catch(() => undefined) ?? Promise.resolve(undefined);
      const s = await lastCases;
      if (s === undefined) return;
      this.set({ status: 'open' }, s.open);
      this.set({ status: 'claimed' }, s.claimed);
    },
  });
  new Gauge({
    name: 'risk_case_oldest_unresolved_age_seconds',
    help: 'Age of the oldest review case not yet resolved (0 when none is)',
    registers,
    async collect() {
      const s = await lastCases;
      const oldest = s?.oldest_unresolved_ms ?? null;
      this.set(oldest === null ? 0 : Math.max(0, Date.now() - oldest) / 1000);
    },
  });
  const decisionsWritten = new Counter({
    name: 'risk_decision_log_written_total',
    help: 'Scored transactions written to the decision log (rule performance against labels)',
    registers,
  });
  const decisionLogFailures = new Counter({
    name: 'risk_decision_log_failures_total',
    help: 'Decision log writes that failed (the batch is kept and retried)',
    registers,
  });
  const decisionsDropped = new Counter({
    name: 'risk_decision_log_dropped_total',
    help: 'Scored transactions not logged because the buffer was full (the store had been failing)',
    registers,
  });
  new Gauge({
    name: 'risk_decision_log_buffered',
    help: 'Scored transactions held in memory, not yet written to the decision log',
    registers,
    collect() {
      this.set(decisionsBuffered?.() ?? 0);
    },
  });

  new Gauge({
    name: 'risk_flag_outbox_depth',
    help: 'Flags stored in the outbox and not yet acknowledged by Kafka',
    labelNames: ['outbox'] as const,
    registers,
    async collect() {
      this.reset();
      for (const s of outboxes) {
        const stats = await s.stats().catch(() => null);
        if (stats !== null) this.set({ outbox: s.name }, stats.depth);
      }
    },
  });
  new Gauge({
    name: 'risk_flag_outbox_oldest_age_seconds',
    help: 'Age of the oldest flag in the outbox (0 when empty)',
    labelNames: ['outbox'] as const,
    registers,
    async collect() {
      this.reset();
      for (const s of outboxes) {
        const stats = await s.stats().catch(() => null);
        if (stats === null) continue;
        const age = stats.oldestAppendedAtMs === null ? 0 : Date.now() - stats.oldestAppendedAtMs;
        this.set({ outbox: s.name }, Math.max(0, age) / 1000);
      }
    },
  });
  new Gauge({
    name: 'risk_outbox_depth',
    help: 'Records stored in an outbox and not yet acknowledged, by kind (flags, case_events)',
    labelNames: ['kind', 'outbox'] as const,
    registers,
    async collect() {
      lastOutboxes = outboxFigures();
      this.reset();
      for (const f of await lastOutboxes)
        this.set({ kind: f.kind, outbox: f.outbox }, f.stats.depth);
    },
  });
  new Gauge({
    name: 'risk_outbox_oldest_age_seconds',
    help: 'Age of the oldest record in an outbox, by kind (0 when empty)',
    labelNames: ['kind', 'outbox'] as const,
    registers,
    async collect() {
      this.reset();
      for (const f of await lastOutboxes) {
        const oldest = f.stats.oldestAppendedAtMs;
        const age = oldest === null ? 0 : Math.max(0, Date.now() - oldest) / 1000;
        this.set({ kind: f.kind, outbox: f.outbox }, age);
      }
    },
  });
  const caseEventsPublished = new Counter({
    name: 'risk_case_events_published_total',
    help: 'Case events (resolved cases) taken by their destination: Kafka (acks = all) or the local file',
    labelNames: ['outbox'] as const,
    registers,
  });
  const caseEventsFailed = new Counter({
    name: 'risk_case_event_publish_failures_total',
    help: 'Case events in publish attempts that failed (they stay in the outbox and are retried)',
    labelNames: ['outbox'] as const,
    registers,
  });
  const published = new Counter({
    name: 'risk_flags_published_total',
    help: 'Flags acknowledged by Kafka (acks = all), by outbox',
    labelNames: ['outbox'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'risk_flag_publish_failures_total',
    help: 'Flags in publish attempts that failed (they stay in the outbox and are retried)',
    labelNames: ['outbox'] as const,
    registers,
  });
  const delivery = new Histogram({
    name: 'risk_flag_delivery_seconds',
    help: 'From scoring (scored_at) to the broker acknowledging the flag',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const fallback = new Counter({
    name: 'risk_flags_fallback_total',
    help: 'Flags stored in the local file outbox because PostgreSQL failed or was slow',
    registers,
  });
  const flushDuration = new Histogram({
    name: 'risk_window_flush_duration_seconds',
    help: 'Time to write one batch of window upserts',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });
  const flushedKeys = new Counter({
    name: 'risk_window_flushed_keys_total',
    help: 'Window keys (window, dimension value) written by additive upserts',
    registers,
  });
  const flushFailures = new Counter({
    name: 'risk_window_flush_failures_total',
    help: 'Window writes that failed (the batch is kept and retried with its flush id)',
    registers,
  });
  const dropped = new Counter({
    name: 'risk_window_updates_dropped_total',
    help: 'Window updates dropped because the buffer held WINDOW_BUFFER_MAX_KEYS keys',
    registers,
  });
  const rejected = new Counter({
    name: 'risk_window_rows_rejected_total',
    help: 'Window keys the store refused as data (logged with their key, set aside, not retried)',
    registers,
  });
  new Gauge({
    name: 'risk_window_buffered_keys',
    help: 'Window keys held in memory, not yet written',
    registers,
    collect() {
      this.set(windowStats?.().bufferedKeys ?? 0);
    },
  });
  new Gauge({
    name: 'risk_window_flush_lag_seconds',
    help: 'Age of the oldest window update not yet written (0 when all is written)',
    registers,
    collect() {
      const oldest = windowStats?.().oldestUnwrittenMs ?? null;
      this.set(oldest === null ? 0 : Math.max(0, Date.now() - oldest) / 1000);
    },
  });

  return {
    decisionLog: {
      written(n) {
        decisionsWritten.inc(n);
      },
      failed() {
        decisionLogFailures.inc();
        dependencyError(windowStore);
      },
      dropped(n) {
        decisionsDropped.inc(n);
      },
    },
    watchDecisionLog(buffered, cases) {
      decisionsBuffered = buffered;
      caseStats = cases;
    },
    relay: {
      published(store, flags) {
        published.inc({ outbox: store }, flags.length);
        const now = Date.now();
        for (const f of flags) delivery.observe(Math.max(0, now - Date.parse(f.scored_at)) / 1000);
      },
      failed(store, count) {
        failed.inc({ outbox: store }, count);
        dependencyError('kafka');
      },
    },
    caseEventRelay: {
      published(store, events) {
        caseEventsPublished.inc({ outbox: store }, events.length);
      },
      failed(store, count) {
        caseEventsFailed.inc({ outbox: store }, count);
        dependencyError(caseEventsTo);
      },
    },
    windows: {
      flushed(keys, seconds) {
        flushedKeys.inc(keys);
        flushDuration.observe(seconds);
      },
      flushFailed() {
        flushFailures.inc();
        dependencyError(windowStore);
      },
      dropped(count) {
        dropped.inc(count);
      },
      rejected(keys) {
        rejected.inc(keys);
      },
    },
    flagFallback() {
      fallback.inc();
      dependencyError('postgres');
    },
    watchOutboxes(stores) {
      outboxes = stores;
    },
    watchCaseEventOutbox(store, destination) {
      caseEventOutbox = store;
      caseEventsTo = destination;
    },
    watchWindows(stats) {
      windowStats = stats;
    },
  };
}
