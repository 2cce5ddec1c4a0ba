import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import { openFileFlagOutbox } from '../adapters/file/file-flag-outbox.ts';
import { openNdjsonFile, openNdjsonFlagFile } from '../adapters/file/ndjson-flag-file.ts';
import { createKafkaCaseEventPublisher } from '../adapters/kafka/kafka-case-event-publisher.ts';
import { createKafkaFlagPublisher } from '../adapters/kafka/kafka-flag-publisher.ts';
import type { CaseEvent } from '../domain/case-event.ts';
import { createFallbackOutbox } from '../pipeline/fallback-outbox.ts';
import type { FlagOutbox, OutboxStore, Publisher } from '../pipeline/flag-outbox.ts';
import type { OutboxRelay } from '../pipeline/flag-relay.ts';
import { createFlagRelay, createOutboxRelay } from '../pipeline/flag-relay.ts';
import type { Decision } from '../domain/decision.ts';
import type { DecisionLog } from '../pipeline/decision-log.ts';
import { createDecisionLog } from '../pipeline/decision-log.ts';
import type { WindowBuffer } from '../pipeline/window-buffer.ts';
import { createWindowBuffer } from '../pipeline/window-buffer.ts';
import type { Config } from './config.ts';
import type { EmitMetrics } from './emit-metrics.ts';
import type { Stores } from './stores.ts';
import { dataPath } from './stores.ts';

/** What the scorer emits into, and how it is shut down. */
export interface Emitters {
  flags: FlagOutbox;
  /** Where flags end up: `kafka`, or `file` (the NDJSON file, without KAFKA_BROKERS). */
  flagsTo: 'kafka' | 'file';
  windows: WindowBuffer;
  /** Every scored transaction, for rule performance against outcome labels. */
  decisionLog: DecisionLog;
  start(): void;
  /**
   * Writes the window buffer and drains the outbox relays, both until `deadlineMs` at most,
   * then closes what was opened here. Flags not yet published stay in the durable outbox.
   */
  close(deadlineMs: number): Promise<void>;
}

/**
 * Flags (DESIGN.md §4.7, §5):
 * - without KAFKA_BROKERS: appended to DATA_DIR/flags.ndjson, the destination itself;
 * - with KAFKA_BROKERS: the `risk_flag_outbox` table of the stores' database (PostgreSQL at
 *   DATABASE_URL, else the embedded SQLite file), with the local file outbox
 *   DATA_DIR/flag-outbox taking over while that database fails; a relay drains each;
 * - with KAFKA_BROKERS and EMBEDDED_STORE=memory (no database): the file outbox and its relay.
 * Case events (§4.9): the stores' `risk_case_event_outbox` table (written in the transaction
 * that resolves a case; in memory in memory mode), drained by its own relay to
 * KAFKA_CASE_EVENTS_TOPIC, or without KAFKA_BROKERS to DATA_DIR/case-events.ndjson.
 * Windows (§4.8): a buffer in memory written every WINDOW_FLUSH_INTERVAL_MS to the stores'
 * window store (PostgreSQL, SQLite or memory).
 */
export async function setupEmitters(
  config: Config,
  stores: Stores,
  logger: PinoLogger,
  metrics: EmitMetrics,
): Promise<Emitters> {
  const replica = config.REPLICA_ID ?? hostname();
  const closers: Array<() => Promise<void>> = [];
  const relays: OutboxRelay[] = [];
  let flags: FlagOutbox;
  let flagsTo: Emitters['flagsTo'];

  if (config.KAFKA_BROKERS === undefined) {
    const file = await openNdjsonFlagFile(dataPath(config, 'flags.ndjson'));
    closers.push(() => file.close());
    flags = file;
    flagsTo = 'file';
    logger.info({ path: file.path }, 'KAFKA_BROKERS not set: flags are appended to a local file');
  } else {
    flagsTo = 'kafka';
    const publisher = createKafkaFlagPublisher({
      brokers: config.KAFKA_BROKERS.split(','),
      topic: config.KAFKA_FLAGS_TOPIC,
      clientId: `risk-scoring-${replica}`,
      createTopic: config.KAFKA_CREATE_TOPIC,
      logger,
    });
    const file = await openFileFlagOutbox({ dir: dataPath(config, 'flag-outbox'), logger });
    const outboxes: OutboxStore[] = [file];
    if (stores.openFlagOutbox !== null) {
      const primary = stores.openFlagOutbox();
      outboxes.unshift(primary);
      flags = createFallbackOutbox({
        primary,
        fallback: file,
        timeoutMs: config.FLAG_OUTBOX_TIMEOUT_MS,
        logger,
        onFallback: () => metrics.flagFallback(),
      });
    } else {
      flags = file;
    }
    for (const store of outboxes) {
      relays.push(
        createFlagRelay({
          store,
          publisher,
          logger,
          lingerMs: config.FLAG_LINGER_MS,
          batchMax: config.FLAG_BATCH_MAX,
          observer: metrics.relay,
        }),
      );
    }
    metrics.watchOutboxes(outboxes);
    closers.push(() => publisher.close(), ...outboxes.map((o) => () => o.close()));
    logger.info(
      { topic: config.KAFKA_FLAGS_TOPIC, outboxes: outboxes.map((o) => o.name) },
      'flags go to Kafka through a durable outbox',
    );
  }

  let caseEventsTo: Publisher<CaseEvent>;
  if (config.KAFKA_BROKERS === undefined) {
    const file = await openNdjsonFile<CaseEvent>(dataPath(config, 'case-events.ndjson'));
    caseEventsTo = file;
    logger.info({ path: file.path }, 'KAFKA_BROKERS not set: case events go to a local file');
  } else {
    caseEventsTo = createKafkaCaseEventPublisher({
      brokers: config.KAFKA_BROKERS.split(','),
      topic: config.KAFKA_CASE_EVENTS_TOPIC,
      clientId: `risk-scoring-${replica}-cases`,
      createTopic: config.KAFKA_CREATE_TOPIC,
      logger,
    });
  }
  relays.push(
    createOutboxRelay({
      store: stores.caseEvents,
      publisher: caseEventsTo,
      logger,
      noun: 'case events',
      observer: metrics.caseEventRelay,
    }),
  );
  metrics.watchCaseEventOutbox(
    stores.caseEvents,
    config.KAFKA_BROKERS === undefined ? 'file' : 'kafka',
  );
  closers.push(
    () => caseEventsTo.close(),
    () => stores.caseEvents.close(),
  );

  const windows = createWindowBuffer({
    store: stores.windows,
    windowSeconds: config.RISK_WINDOW_SECONDS,
    // A random part per start: a restarted replica must never reuse an applied flush id.
    flushIdPrefix: `${replica}/${randomUUID()}`,
    flushIntervalMs: config.WINDOW_FLUSH_INTERVAL_MS,
    maxKeys: config.WINDOW_BUFFER_MAX_KEYS,
    logger,
    observer: metrics.windows,
  });
  metrics.watchWindows(() => windows.stats());
  const decisionLog = createDecisionLog({
    store: stores.decisionLog,
    logger,
    flushIntervalMs: config.WINDOW_FLUSH_INTERVAL_MS,
    observer: metrics.decisionLog,
    caseDecisions: new Set(config.CASES_OPEN_FOR.split(',') as Decision[]),
  });
  metrics.watchDecisionLog(
    () => decisionLog.buffered(),
    () => stores.decisionLog.caseStats(),
  );

  return {
    flags,
    flagsTo,
    windows,
    decisionLog,
    start() {
      windows.start();
      decisionLog.start();
      for (const r of relays) r.start();
    },
    async close(deadlineMs) {
      const [written, logged, ...drained] = await Promise.all([
        windows.close(deadlineMs),
        decisionLog.close(deadlineMs),
        ...relays.map((r) => r.drain(deadlineMs)),
      ]);
      logger.info(
        { windows_written: written, decisions_logged: logged, outboxes_drained: drained },
        'window buffer and outboxes (flags, case events) flushed for shutdown',
      );
      for (const c of closers) {
        try {
          await c();
        } catch (err) {
          logger.warn({ err }, 'error while closing an outbox or its destination');
        }
      }
    },
  };
}
