import type { LogEntry, logCreator } from 'kafkajs';
import { logLevel } from 'kafkajs';
import type { Logger } from '../../pipeline/logger.ts';

/**
 * kafkajs's warnings and errors through our logger, at most one line per namespace every 10 s:
 * a broker outage makes kafkajs log every reconnection attempt, and the relay already reports
 * each failed publish.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const last = new Map<string, number>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _t, ...extra } = log;
      // We cap the idempotent producer's retries on purpose and recreate it after a failure
      // (see kafka-flag-publisher.ts); the warning about it says nothing new on each creation.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      const now = Date.now();
      if (now - (last.get(namespace) ?? 0) < 10_000) return;
      last.set(namespace, now);
      const fields = { kafka_namespace: namespace, ...(extra as Record<string, unknown>) };
      if (level === logLevel.ERROR) logger.error(fields, `kafkajs: ${message}`);
      else logger.warn(fields, `kafkajs: ${message}`);
    };
}
