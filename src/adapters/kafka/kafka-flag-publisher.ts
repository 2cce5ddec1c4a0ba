import type { Admin, Producer } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { RiskFlag } from '../../domain/flag.ts';
import type { FlagPublisher } from '../../pipeline/flag-outbox.ts';
import type { Logger } from '../../pipeline/logger.ts';
import { kafkaLogCreator } from './kafka-logger.ts';

export interface KafkaFlagPublisherOptions {
  brokers: readonly string[];
  topic: string;
  logger: Logger;
  clientId?: string;
  /** Create the topic (broker defaults for partitions and replicas) if it does not exist. */
  createTopic?: boolean;
}

/**
 * Publishes flags to `topic`, key `account_id`, JSON value (DESIGN.md §4.7), acks = all.
 *
 * The producer is idempotent (kafkajs requires one request in flight for that), so kafkajs's
 * own retries of a request inside one `send` cannot duplicate or reorder messages. Those
 * retries are capped, so that a `send` fails within seconds when the broker is away and the
 * relay can back off; after a failed `send` the producer is dropped and the next attempt gets a
 * new one (a new producer id): resending a batch whose fate is unknown through the old producer
 * state could be refused as out of sequence. A batch resent that way may be stored twice;
 * consumers deduplicate on flag_id.
 */
export function createKafkaFlagPublisher(opts: KafkaFlagPublisherOptions): FlagPublisher {
  const log = opts.logger.child({ component: 'kafka-publisher', topic: opts.topic });
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'risk-scoring',
    brokers: [...opts.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log),
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let topicReady = opts.createTopic !== true;

  async function ensureTopic(): Promise<void> {
    const admin: Admin = kafka.admin();
    await admin.connect();
    try {
      // Explicitly rather than by auto-creation on first produce, which kafkajs races.
      const created = await admin.createTopics({
        topics: [{ topic: opts.topic }],
        waitForLeaders: true,
      });
      if (created) log.info({}, 'flags topic created');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async function connect(): Promise<Producer> {
    if (!topicReady) {
      await ensureTopic();
      topicReady = true;
    }
    const p = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    await p.connect();
    return p;
  }

  async function discard(): Promise<void> {
    const p = producer;
    producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  return {
    async publish(flags: readonly RiskFlag[]) {
      if (flags.length === 0) return;
      try {
        if (producer === undefined) {
          connecting ??= connect().finally(() => {
            connecting = undefined;
          });
          producer = await connecting;
        }
        await producer.send({
          topic: opts.topic,
          acks: -1,
          messages: flags.map((f) => ({
            key: f.account_id,
            value: JSON.stringify(f),
            headers: { schema: f.schema, flag_id: f.flag_id },
          })),
        });
      } catch (err) {
        await discard();
        throw err;
      }
    },
    async close() {
      await connecting?.catch(() => undefined);
      await discard();
    },
  };
}
