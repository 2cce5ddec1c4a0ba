import type { CaseEvent } from '../../domain/case-event.ts';
import type { Publisher } from '../../pipeline/flag-outbox.ts';
import type { KafkaFlagPublisherOptions } from './kafka-flag-publisher.ts';
import { createKafkaPublisher } from './kafka-flag-publisher.ts';

/**
 * Publishes case events (DESIGN.md §4.9) to `topic`, key `account_id` (so one account's events
 * stay in order on one partition), JSON value, acks = all; the producer settings are the flag
 * publisher's.
 */
export function createKafkaCaseEventPublisher(
  opts: KafkaFlagPublisherOptions,
): Publisher<CaseEvent> {
  return createKafkaPublisher<CaseEvent>(opts, {
    noun: 'case events',
    keyOf: (e) => e.account_id,
    headersOf: (e) => ({ schema: e.schema, event_id: e.event_id }),
  });
}
