import type * as PlatformaticKafka from '@platformatic/kafka';
import type { Producer } from '@platformatic/kafka';
import type { RiskFlag } from '../../domain/flag.ts';
import type { FlagPublisher, Publisher } from '../../pipeline/flag-outbox.ts';
import type { Logger } from '../../pipeline/logger.ts';

export interface KafkaFlagPublisherOptions {
  brokers: readonly string[];
  topic: string;
  logger: Logger;
  clientId?: string;
  /** Create the topic (broker defaults for partitions and replicas) if it does not exist. */
  createTopic?: boolean;
}

/** How one kind of record becomes a message: its key and headers (the value is its JSON). */
export interface KafkaMessageShape<R> {
  /** `flags`, `case events`: for log lines. */
  noun: string;
  keyOf(record: R): string;
  headersOf(record: R): Record<string, string>;
}

/** Each request is retried this often inside one publish, with a doubling delay. */
const RETRIES = 3;
const retryDelay = (_client: unknown, _op: string, attempt: number): number =>
  Math.min(2_000, 200 * 2 ** Math.max(0, attempt - 1));

/**
 * Publishes flags to `topic`, key `account_id`, JSON value (DESIGN.md §4.7), acks = all, with
 * @platformatic/kafka (pure TypeScript, maintained).
 *
 * Chosen over kafkajs 2.2.4 (no release since 2023) by `npm run bench:kafka`
 * (load-test/bench/kafka-clients.ts), on this machine, one connected idempotent producer each:
 * idle, kafkajs woke the process about 890 times a second (its request queue's timers) and
 * used 4.9 % of a core, this client 0.2 times and 0.03 %; 20,000 flags in batches of 100 with
 * acks = all went at 26,700 flags/s against 18,800, and one flag was acknowledged in 0.76 ms
 * (median) against 1.56 ms. The report in load-test/reports/ has the figures of the last run.
 *
 * The producer is idempotent, so the client's own retries of a request inside one `publish`
 * cannot duplicate or reorder messages. Those retries are capped, so that a `publish` fails
 * within seconds when the broker is away and the relay can back off; after a failed `publish`
 * the producer is dropped and the next attempt gets a new one (a new producer id): resending a
 * batch whose fate is unknown through the old producer state could be refused as out of
 * sequence. A batch resent that way may be stored twice; consumers deduplicate on flag_id.
 */
export function createKafkaFlagPublisher(opts: KafkaFlagPublisherOptions): FlagPublisher {
  return createKafkaPublisher<RiskFlag>(opts, {
    noun: 'flags',
    keyOf: (f) => f.account_id,
    headersOf: (f) => ({ schema: f.schema, flag_id: f.flag_id }),
  });
}

/**
 * The same producer settings and failure handling for any record kind (case events, DESIGN.md
 * §4.9, go to their own topic through their own producer, so a stuck flags batch never holds
 * them up, nor they it).
 */
export function createKafkaPublisher<R>(
  opts: KafkaFlagPublisherOptions,
  shape: KafkaMessageShape<R>,
): Publisher<R> {
  const log = opts.logger.child({ component: 'kafka-publisher', topic: opts.topic });
  const base = {
    clientId: opts.clientId ?? 'risk-scoring',
    bootstrapBrokers: [...opts.brokers],
    connectTimeout: 3_000,
    requestTimeout: 10_000,
    retries: RETRIES,
    retryDelay,
  };
  let producer: Producer<string, string, string, string> | undefined;
  // Loaded on first use: a service without KAFKA_BROKERS never pays for the client (about
  // 20 MB of RSS at start).
  let client: Promise<typeof PlatformaticKafka> | undefined;
  const load = () => (client ??= import('@platformatic/kafka'));
  let topicReady = opts.createTopic !== true;

  async function ensureTopic(): Promise<void> {
    const { Admin } = await load();
    const admin = new Admin(base);
    try {
      // Explicitly rather than by auto-creation on first produce.
      const existing = await admin.listTopics();
      if (!existing.includes(opts.topic)) {
        try {
          await admin.createTopics({ topics: [opts.topic] }); // broker defaults
          log.info({}, `${shape.noun} topic created`);
        } catch (err) {
          // Another replica created it between the list and the create.
          if (!(await admin.listTopics()).includes(opts.topic)) throw err;
        }
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async function current(): Promise<Producer<string, string, string, string>> {
    const { Producer, stringSerializers } = await load();
    producer ??= new Producer({
      ...base,
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
    });
    return producer;
  }

  async function discard(): Promise<void> {
    const p = producer;
    producer = undefined;
    await p?.close(true).catch(() => undefined);
  }

  return {
    async publish(records: readonly R[]) {
      if (records.length === 0) return;
      try {
        if (!topicReady) {
          await ensureTopic();
          topicReady = true;
        }
        await (
          await current()
        ).send({
          messages: records.map((r) => ({
            topic: opts.topic,
            key: shape.keyOf(r),
            value: JSON.stringify(r),
            headers: shape.headersOf(r),
          })),
        });
      } catch (err) {
        await discard();
        throw err;
      }
    },
    async close() {
      await discard();
    },
  };
}
